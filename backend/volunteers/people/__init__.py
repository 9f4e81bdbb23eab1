"""Volunteer profiles: the opt-in with consent, the identity a service record prints (sealed at
rest, shown masked), and the masked names staff views show."""
