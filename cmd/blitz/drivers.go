package main

// The object-store drivers of gocloud.dev/blob linked into the blitz binary,
// so that blitz store (and backups to a store) take s3://, gs:// and
// azblob:// URLs besides file://. They live in package main, not in the
// command package, so the command tests do not link them. Credentials come
// from each cloud's usual environment (AWS_*, GOOGLE_APPLICATION_CREDENTIALS,
// AZURE_STORAGE_*); see gocloud.dev's documentation of each URL form.
import (
	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/s3blob"
)
