"""Inspections (双随机、一公开): targets, verifiable random plans, inspection records."""
