variable "project_id" {
  description = "Project that hosts the service."
  type        = string
}

variable "region" {
  description = "Region of the service and its image repository."
  type        = string
}

variable "name" {
  description = "Cloud Run service name."
  type        = string
  default     = "voice-gateway"
}

variable "image" {
  description = "Image in this module's Artifact Registry repository, pushed by scripts/build_gateway_image.sh."
  type = object({
    tag           = string
    repository_id = optional(string, "convonet")
    name          = optional(string, "voice-gateway")
    keep_versions = optional(number, 10)
  })
}

variable "service" {
  description = "Runtime shape: WebSockets need a long timeout, warm instances and CPU between frames."
  type = object({
    memory_mb     = number
    cpu           = optional(string, "2")
    concurrency   = optional(number, 80)
    timeout_s     = optional(number, 3600)
    min_instances = optional(number, 1)
    max_instances = optional(number, 10)
  })
  validation {
    condition     = var.service.timeout_s <= 3600
    error_message = "Cloud Run requests (and so WebSockets) last at most 3600 s."
  }
}

variable "environment_variables" {
  description = "Plain environment variables (settings)."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "secrets" {
  description = "Secret environment variables: env name -> Secret Manager secret id (latest version)."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "project_roles" {
  description = "Project roles for the service account, only where GCP has no narrower grant."
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
  description = "Members given roles/run.invoker (everyone: browsers and Twilio reach it through the load balancer)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "deletion_protection" {
  description = "Refuse to destroy the service."
  type        = bool
  default     = true
}
