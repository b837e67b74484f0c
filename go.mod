module github.com/ganomaly-go/ganomaly

go 1.26.8

require github.com/x448/float16 v0.8.4

require (
	golang.org/x/image v0.30.0 // indirect
	gonum.org/v1/gonum v0.17.0 // indirect
)
