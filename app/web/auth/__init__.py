"""Login sessions and JWTs: who is calling, and whether their session is still open."""
