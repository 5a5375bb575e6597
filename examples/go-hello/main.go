// go-hello prints a greeting with the version the build stamps in.
package main

import "fmt"

var version = "dev"

func main() {
	fmt.Printf("hello from go-hello %s\n", version)
}
