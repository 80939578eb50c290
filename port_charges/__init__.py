"""Port-charge catalogues (收费公示): published fee items of port enterprises, their history, comparison
across enterprises, and pushes to the users who follow a price."""
