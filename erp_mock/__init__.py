"""A tiny stand-in for a company's ERP: receives our webhooks, verifies their signatures (Standard Webhooks),
lists what it got. Imports nothing of the product: it knows the API only as any outside system does."""
