variable "environment_variables" {
  description = "Plain environment variables (settings)."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "secrets" {
  description = "Secret environment variables: env name -> Secret Manager secret id (always the latest version)."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "publishes" {
  description = "Topics the function publishes to: topic name -> topic id. Granted publisher on each."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "project_roles" {
  description = "Project roles for the function's service account, only where GCP has no narrower grant."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "cloud_sql" {
  description = "Cloud SQL access through the Python connector; with iam_auth the service account is the DB user."
  type = object({
    instance = string
    iam_auth = optional(bool, true)
  })
  default = null
}

variable "invokers" {
  description = "Members given roles/run.invoker on the function (everyone, for public functions behind the load balancer)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "trigger_config" {
  description = <<-EOT
    Pub/Sub delivery: one push subscription per topic (so one function can take several
    topics), with exponential retry and a dead-letter topic, authenticated by a dedicated
    trigger service account. The function receives the same CloudEvent as from Eventarc.
  EOT
  type = object({
    pubsub_service_agent = string
    topics = map(object({
      topic                 = string
      dead_letter_topic     = string
      max_delivery_attempts = optional(number, 5)
      minimum_backoff       = optional(string, "10s")
      maximum_backoff       = optional(string, "600s")
    }))
  })
  default = null
}
