"""Business rules, one module per domain: plain functions over db/, used by tools and HTTP."""
