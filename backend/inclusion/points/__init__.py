"""Participation points: the ledger (``ledger``), the earning rules (``rules``), awards for what
other domains announce (``awards``, through ``listeners``), expiry (``expiry``) and the resident's
own points (``queries``)."""
