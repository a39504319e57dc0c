variable "project_id" {
  description = "Project that hosts the function."
  type        = string
}

variable "region" {
  description = "Region of the function and its Cloud Run service."
  type        = string
}

variable "name" {
  description = "Manifest name (snake_case); GCP resources use it with hyphens."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{1,26}$", var.name))
    error_message = "Function names are lower snake_case, at most 27 characters."
  }
}

variable "description" {
  description = "What the function does (from the manifest summary)."
  type        = string
  default     = ""
}

variable "entry_point" {
  description = "The decorated Python function in main.py."
  type        = string
}

variable "labels" {
  description = "Labels on the function."
  type        = map(string)
  default     = {}
}

variable "bundle" {
  description = "The source zip built by scripts/build_bundles.py and the bucket it is uploaded to."
  type = object({
    bucket = string
    path   = string
    sha256 = string
  })
}

variable "build" {
  description = "Cloud Build settings: runtime, dedicated build service account (id), image repository."
  type = object({
    service_account   = string
    runtime           = optional(string, "python311")
    docker_repository = optional(string)
  })
}

variable "service" {
  description = "Runtime shape of the function's Cloud Run service."
  type = object({
    memory_mb     = number
    concurrency   = optional(number, 1)
    timeout_s     = optional(number, 60)
    min_instances = optional(number, 0)
    max_instances = optional(number, 20)
    ingress       = optional(string, "ALLOW_INTERNAL_ONLY")
  })
  validation {
    condition     = contains(["ALLOW_ALL", "ALLOW_INTERNAL_ONLY", "ALLOW_INTERNAL_AND_GCLB"], var.service.ingress)
    error_message = "ingress must be ALLOW_ALL, ALLOW_INTERNAL_ONLY or ALLOW_INTERNAL_AND_GCLB."
  }
}
