// Command kielto-ferretdb runs FerretDB v1 (MongoDB wire protocol on PostgreSQL or SQLite) for local development
// and CI.
//
// `go install github.com/FerretDB/FerretDB/cmd/ferretdb` panics at start-up (missing version.txt,
// upstream issue 2982), so we embed the library instead, as docs/CONTRACT.md §5 prescribes.
package main

import (
	"context"
	"flag"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	handler := flag.String("handler", "sqlite", "backend: sqlite (files under -data) or postgresql (-postgresql-url)")
	dataDir := flag.String("data", "data/", "sqlite: directory for the databases (with trailing slash)")
	synchronous := flag.String("synchronous", "full", "sqlite: synchronous setting, full (fsync every commit) or normal")
	pgURL := flag.String("postgresql-url", "", "postgresql: connection URL, e.g. postgres://postgres@127.0.0.1:5432/ferretdb")
	flag.Parse()

	cfg := ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *listen},
		Handler:  *handler,
		Logger:   slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	switch *handler {
	case "sqlite":
		if *synchronous != "full" && *synchronous != "normal" {
			log.Fatalf("-synchronous must be full or normal, not %q", *synchronous)
		}
		if err := os.MkdirAll(*dataDir, 0o700); err != nil {
			log.Fatal(err)
		}
		cfg.SQLiteURL = "file:" + *dataDir + "?_pragma=synchronous(" + *synchronous + ")"
	case "postgresql":
		if *pgURL == "" {
			log.Fatal("-handler postgresql needs -postgresql-url")
		}
		cfg.PostgreSQLURL = *pgURL
	default:
		log.Fatalf("-handler must be sqlite or postgresql, not %q", *handler)
	}

	f, err := ferretdb.New(&cfg)
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(ctx)
	}()
	// The line scripts/infra.sh waits for.
	log.Printf("FerretDB listening on %s (%s, %s)", *listen, *handler, f.MongoDBURI())
	<-done
}
