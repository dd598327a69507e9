// Command kielto-ferretdb runs FerretDB v1 (MongoDB wire protocol on SQLite) for local development and CI.
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
	dataDir := flag.String("data", "data/", "directory for the SQLite databases (with trailing slash)")
	synchronous := flag.String("synchronous", "full", "SQLite synchronous setting: full (fsync every commit) or normal")
	flag.Parse()
	if *synchronous != "full" && *synchronous != "normal" {
		log.Fatalf("-synchronous must be full or normal, not %q", *synchronous)
	}

	if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		log.Fatal(err)
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dataDir + "?_pragma=synchronous(" + *synchronous + ")",
		Logger:    logger,
	})
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
	log.Printf("FerretDB listening on %s (%s)", *listen, f.MongoDBURI())
	<-done
}
