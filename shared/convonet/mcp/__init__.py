"""The tool registry over the Model Context Protocol (streamable HTTP and stdio)."""
