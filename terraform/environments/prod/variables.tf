variable "project_id" {
  description = "The GCP project of this environment."
  type        = string
}

variable "region" {
  description = "Region of every regional resource."
  type        = string
  default     = "us-central1"
}

variable "domains" {
  description = "Public host names; the first is PUBLIC_BASE_URL's host."
  type        = list(string)
}

variable "gateway_image_tag" {
  description = "Voice-gateway image tag (scripts/build_gateway_image.sh prints it)."
  type        = string
}

variable "firestore_location" {
  description = "Firestore location (e.g. nam5, eur3, or a region)."
  type        = string
  default     = "nam5"
}

variable "settings" {
  description = "Extra setting values by env name (docs/CONFIG.md), e.g. LLM_PROVIDER, TRANSFER_EXTENSIONS, FUSIONPBX_SIP_DOMAIN."
  type        = map(string)
  default     = {}
}

variable "integrations" {
  description = "SuiteCRM and Google Calendar OAuth client settings; empty keeps the embedded adapters."
  type = object({
    suitecrm_url           = optional(string, "")
    suitecrm_client_id     = optional(string, "")
    google_oauth_client_id = optional(string, "")
    twilio_account_sid     = optional(string, "")
    twilio_from_number     = optional(string, "")
    tts_audio_bucket       = optional(string, "")
  })
  default = {}
}

variable "omitted_secrets" {
  description = "Optional provider secrets you do not use (left unwired, so they need no value)."
  type        = list(string)
  default     = []
}

variable "notification_emails" {
  description = "Who is alerted."
  type        = list(string)
  default     = []
}
