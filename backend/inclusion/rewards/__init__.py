"""The points supermarket (积分超市): the catalogue of rewards (``services``), and redemptions with
their pickup and fulfilment (``redemptions``)."""
