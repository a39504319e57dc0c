variable "project_id" {
  description = "Project whose services are watched."
  type        = string
}

variable "name" {
  description = "Prefix of policy and metric names."
  type        = string
  default     = "convonet"
}

variable "notification_emails" {
  description = "Who hears about incidents."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "host" {
  description = "The public domain the uptime checks call."
  type        = string
}

variable "uptime_paths" {
  description = "Uptime checks: name -> path on the public domain (each HTTP function's <prefix>/healthz, the web root)."
  type        = map(string)
  nullable    = false
}

variable "services" {
  description = "Cloud Run services (gen2 functions and the voice gateway) to alert on."
  type        = list(string)
  nullable    = false
}

variable "dead_letter_subscriptions" {
  description = "Subscriptions holding dead letters; anything arriving there raises an alert."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "thresholds" {
  description = "Alert thresholds."
  type = object({
    error_ratio       = optional(number, 0.05)
    error_logs_per_5m = optional(number, 10)
    latency_p95_ms    = optional(number, 2000)
    lb_latency_p95_ms = optional(number, 3000)
  })
  default  = {}
  nullable = false
}
