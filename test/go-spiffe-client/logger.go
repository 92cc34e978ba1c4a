package main

import "fmt"

// jsonLogger hands go-spiffe's own warnings and errors to the JSON output as "log" events:
// NewX509Source retries silently until its context ends, so without it a refused or unparsable
// response would only show up as "context deadline exceeded".
type jsonLogger struct{}

func (jsonLogger) Debugf(string, ...interface{}) {}
func (jsonLogger) Infof(string, ...interface{})  {}
func (jsonLogger) Warnf(format string, args ...interface{}) {
	emit(map[string]interface{}{"event": "log", "level": "warn", "message": fmt.Sprintf(format, args...)})
}
func (jsonLogger) Errorf(format string, args ...interface{}) {
	emit(map[string]interface{}{"event": "log", "level": "error", "message": fmt.Sprintf(format, args...)})
}
