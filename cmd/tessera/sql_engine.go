package main

import "github.com/tesseradb/tessera/server"

func init() { newSQLEngine = server.NewSQLEngine }
