variable "project_id" {
  description = "The GCP project of this environment."
  type        = string
}

variable "region" {
  description = "Region of the functions, the voice gateway, Cloud SQL and Cloud Scheduler."
  type        = string
}

variable "environment" {
  description = "CONVONET_ENV of every function and the gateway."
  type        = string
  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment is dev or prod."
  }
}

variable "domains" {
  description = "Public host names; the first is PUBLIC_BASE_URL's host (Twilio signs URLs on it)."
  type        = list(string)
}

variable "bundles_dir" {
  description = "Output of scripts/build_bundles.py (zips and manifest.json)."
  type        = string
}

variable "web_dir" {
  description = "The static site uploaded to the web bucket."
  type        = string
}

variable "gateway_image_tag" {
  description = "Tag of the voice-gateway image pushed by scripts/build_gateway_image.sh."
  type        = string
}

variable "settings" {
  description = "Setting values (env name -> value) on top of those derived here, e.g. LLM_PROVIDER, TRANSFER_EXTENSIONS."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "integrations" {
  description = "Third-party systems the tools sync with; empty keeps the embedded adapter (records marked not synced)."
  type = object({
    suitecrm_url           = optional(string, "")
    suitecrm_client_id     = optional(string, "")
    google_oauth_client_id = optional(string, "")
    twilio_account_sid     = optional(string, "")
    twilio_from_number     = optional(string, "")
    tts_audio_bucket       = optional(string, "")
  })
  default  = {}
  nullable = false
}

variable "omitted_secrets" {
  description = "Optional secrets not wired at all (a provider you do not use); the code then falls back to its offline engine."
  type        = list(string)
  default     = []
  nullable    = false
  validation {
    condition     = length(setintersection(var.omitted_secrets, ["JWT_SECRET", "SERVICE_TOKEN_SECRET", "PIN_HASH_SECRET", "TWILIO_AUTH_TOKEN"])) == 0
    error_message = "JWT_SECRET, SERVICE_TOKEN_SECRET, PIN_HASH_SECRET and TWILIO_AUTH_TOKEN are required in production."
  }
}

variable "scaling" {
  description = "Instance bounds. keep_warm=false drops every minimum to 0 (dev); overrides are per manifest name."
  type = object({
    keep_warm     = optional(bool, true)
    max_instances = optional(number, 20)
    overrides = optional(map(object({
      min_instances = optional(number)
      max_instances = optional(number)
    })), {})
  })
  default  = {}
  nullable = false
}

variable "db_iam_auth" {
  description = "Functions log in to Cloud SQL as their service accounts (IAM auth) instead of with DB_PASSWORD."
  type        = bool
  default     = true
}

variable "database" {
  description = "Cloud SQL shape (see modules/data)."
  type = object({
    tier                = optional(string, "db-custom-1-3840")
    availability_type   = optional(string, "ZONAL")
    disk_size_gb        = optional(number, 10)
    deletion_protection = optional(bool, true)
  })
  default  = {}
  nullable = false
}

variable "firestore" {
  description = "Firestore location, protection, TTL collection groups (StateStore collections with `_expires_at`) and composite indexes."
  type = object({
    location            = string
    deletion_protection = optional(bool, true)
    # Every collection the code writes with a TTL (tests/unit/test_ttl_collections.py).
    ttl_collections = optional(list(string), [
      "agent_interactions", "agent_threads", "attempt_failures", "calendar_oauth_states",
      "call_center_metrics", "callback_requests", "idempotency_keys", "llm_usage", "lockouts",
      "outbox_claims", "phone_calls", "phone_tts_audio", "processed_events", "refresh_tokens",
      "sms_sends", "tool_ledger", "transfer_context", "transfer_dials", "twilio_replies",
      "voice_resume_used", "voice_sessions",
    ])
    indexes = optional(list(object({
      collection = string
      fields = list(object({
        field_path = string
        order      = optional(string, "ASCENDING")
      }))
      })), [
      # The outbox flush reads pending events per ordering key in publish order.
      { collection = "outbox", fields = [{ field_path = "ordering_key" }, { field_path = "seq" }] },
    ])
  })
}

variable "rate_limits" {
  description = "Cloud Armor per-IP limits on the public endpoints (see modules/edge)."
  type = map(object({
    priority       = number
    paths          = list(string)
    count          = number
    interval_s     = optional(number, 60)
    ban_duration_s = optional(number, 0)
  }))
  default = {
    auth         = { priority = 2000, paths = ["/api/auth/"], count = 30, ban_duration_s = 300 }
    telephony    = { priority = 2100, paths = ["/twilio/"], count = 600 }
    agent        = { priority = 2200, paths = ["/agent/", "/mcp"], count = 120 }
    reservations = { priority = 2300, paths = ["/api/reservations", "/webhooks/hanok_table/"], count = 60 }
    everything   = { priority = 9000, paths = [], count = 1200 }
  }
  nullable = false
}

variable "notification_emails" {
  description = "Who is alerted."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "deletion_protection" {
  description = "Protect the voice gateway service from destroy."
  type        = bool
  default     = true
}
