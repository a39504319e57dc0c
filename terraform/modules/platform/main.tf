# One environment of Convonet. Every function, route, topic and secret comes from
# terraform/functions.json, rendered from shared/convonet/manifest.py by scripts/render_terraform.py.
locals {
  catalog   = jsondecode(file("${path.module}/../../functions.json"))
  functions = local.catalog.functions
  gateway   = local.catalog.services.voice_gateway
  bundles   = jsondecode(file("${var.bundles_dir}/manifest.json"))

  public_base_url      = "https://${var.domains[0]}"
  pubsub_service_agent = "service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  # Values for the settings the manifest names; anything absent keeps the code's default.
  settings = merge(
    {
      CONVONET_ENV       = var.environment
      LOG_FORMAT         = "json"
      GCP_PROJECT        = var.project_id
      STATE_BACKEND      = "firestore"
      EVENT_BACKEND      = "pubsub"
      CLOUD_SQL_INSTANCE = module.data.sql_connection_name
      DB_NAME            = module.data.database_name
      DB_IAM_AUTH        = tostring(var.db_iam_auth)
      PUBLIC_BASE_URL    = local.public_base_url
      AGENT_URL          = "${local.public_base_url}/agent"
      # Optional integrations: empty means the embedded adapter (local CRM / calendar records).
      SUITECRM_URL           = var.integrations.suitecrm_url
      SUITECRM_CLIENT_ID     = var.integrations.suitecrm_client_id
      GOOGLE_OAUTH_CLIENT_ID = var.integrations.google_oauth_client_id
      # SMS and reminder calls: empty leaves notify / dispatch_reminders logging instead of sending.
      TWILIO_ACCOUNT_SID = var.integrations.twilio_account_sid
      TWILIO_FROM_NUMBER = var.integrations.twilio_from_number
      # PHONE_TTS=play clips: a bucket (V4 signed URLs), else kept in Firestore.
      TTS_AUDIO_BUCKET = var.integrations.tts_audio_bucket
    },
    var.settings,
  )

  # With IAM database auth nothing needs the password (only the migration owner uses it).
  unwired_secrets = concat(var.omitted_secrets, var.db_iam_auth ? ["DB_PASSWORD"] : [])

  workloads = merge(local.functions, { voice_gateway = local.gateway })
  environment = {
    for name, w in local.workloads : name => {
      for s in w.settings : s => local.settings[s] if contains(keys(local.settings), s)
    }
  }
  secrets = {
    for name, w in local.workloads : name => {
      for s in w.secrets : s => module.data.secrets[local.catalog.secrets[s]]
      if !contains(local.unwired_secrets, s)
    }
  }
  min_instances = {
    for name, w in local.workloads : name => coalesce(
      try(var.scaling.overrides[name].min_instances, null),
      var.scaling.keep_warm ? w.min_instances : 0,
    )
  }
  max_instances = {
    for name, w in local.workloads : name => coalesce(
      try(var.scaling.overrides[name].max_instances, null),
      var.scaling.max_instances,
    )
  }
}

data "google_project" "this" {
  project_id = var.project_id
}
