"""Convonet: the core library every function and the voice gateway import."""
