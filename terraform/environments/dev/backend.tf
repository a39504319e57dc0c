# State lives in a versioned GCS bucket created once by hand (docs/DEPLOY.md):
#   terraform init -backend-config="bucket=<PROJECT>-tfstate"
terraform {
  backend "gcs" {
    prefix = "convonet/dev"
  }
}
