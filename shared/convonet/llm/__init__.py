"""Chat models behind one port: Claude, OpenAI, Gemini and the offline model."""
