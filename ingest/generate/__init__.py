"""Synthetic data for every source (see `pulse generate`)."""
