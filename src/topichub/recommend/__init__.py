"""The recommender: interaction events consumed from the bus into a model, and its API."""
