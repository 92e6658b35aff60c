"""Prefect flows and deployments. Wiring only: every task calls one stage function."""
