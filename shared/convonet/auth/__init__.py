"""Identity: users, passwords, tokens, voice PINs and lockouts."""
