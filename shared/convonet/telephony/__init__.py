"""Twilio: request signatures, TwiML, the media-stream codec and transfers."""
