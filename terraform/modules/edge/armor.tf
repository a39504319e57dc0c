locals {
  rate_limit_expressions = {
    for name, rule in var.rate_limits : name => (
      length(rule.paths) == 0
      ? "true"
      : join(" || ", [for p in rule.paths : "request.path.startsWith('${p}')"])
    )
  }
}

resource "google_compute_security_policy" "this" {
  project     = var.project_id
  name        = var.name
  description = "Rate limits and Log4j protection in front of every Convonet backend."

  rule {
    priority    = 1000
    action      = "deny(403)"
    description = "Log4j / CVE-2021-44228 probes."
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('cve-canary')"
      }
    }
  }

  dynamic "rule" {
    for_each = var.rate_limits
    content {
      priority    = rule.value.priority
      action      = rule.value.ban_duration_s > 0 ? "rate_based_ban" : "throttle"
      description = "Rate limit: ${rule.key}."
      match {
        expr {
          expression = local.rate_limit_expressions[rule.key]
        }
      }
      rate_limit_options {
        conform_action   = "allow"
        exceed_action    = "deny(429)"
        enforce_on_key   = "IP"
        ban_duration_sec = rule.value.ban_duration_s > 0 ? rule.value.ban_duration_s : null
        rate_limit_threshold {
          count        = rule.value.count
          interval_sec = rule.value.interval_s
        }
      }
    }
  }

  rule {
    priority    = 2147483647
    action      = "allow"
    description = "Everything else."
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
  }
}
