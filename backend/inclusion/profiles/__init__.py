"""Resident profiles (self-declared, optional, with consent), guardians and their children, age bands."""
