"""Spiders: they parse pages and yield schemas records, nothing else."""
