variable "project_id" {
  description = "Project that hosts the load balancer."
  type        = string
}

variable "region" {
  description = "Region of the functions and the Cloud Run service (serverless NEGs are regional)."
  type        = string
}

variable "name" {
  description = "Prefix of the load balancer's resources."
  type        = string
  default     = "convonet"
}

variable "domains" {
  description = "Public host names; each gets a Google-managed certificate."
  type        = list(string)
  validation {
    condition     = length(var.domains) > 0
    error_message = "At least one domain is needed for the managed certificate."
  }
}

variable "routes" {
  description = "The runtime map: backend name -> the function or Cloud Run service behind it and its path prefixes."
  type = map(object({
    kind   = string
    target = string
    paths  = list(string)
  }))
  validation {
    condition     = alltrue([for r in values(var.routes) : contains(["function", "service"], r.kind)])
    error_message = "Route kind is function or service."
  }
}

variable "web" {
  description = "Static site (web/) served from a Cloud Storage bucket for every path no route claims."
  type = object({
    source_dir     = string
    bucket_name    = string
    location       = optional(string, "US")
    enable_cdn     = optional(bool, true)
    not_found_page = optional(string, "index.html")
  })
}

variable "rate_limits" {
  description = <<-EOT
    Cloud Armor per-client-IP rate limits on the public endpoints: name -> rule. Paths are
    prefixes; an empty list applies the rule to every request. Over the limit, the client gets
    429 for ban_duration_s (0 = throttle only the excess).
  EOT
  type = map(object({
    priority       = number
    paths          = list(string)
    count          = number
    interval_s     = optional(number, 60)
    ban_duration_s = optional(number, 0)
  }))
  default  = {}
  nullable = false
}
