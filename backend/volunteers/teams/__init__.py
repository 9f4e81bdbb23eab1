"""Teams: membership and coordinators, who may coordinate a team (``guards``), and the patrol
routes its volunteers walk, with checkpoint plates."""
