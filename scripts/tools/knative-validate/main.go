// knative-validate runs Knative Serving's own admission checks (the webhook's SetDefaults and
// Validate, from knative.dev/serving) on the Services in the YAML files it is given, and prints one
// JSON line per Service: {"file","name","errors","warnings"}. Exit 1 if any Service has errors.
// Other kinds are skipped (test/deploy validates them against their schemas).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/util/yaml"
	"knative.dev/pkg/apis"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

type result struct {
	File     string   `json:"file"`
	Name     string   `json:"name"`
	Errors   []string `json:"errors"`
	Warnings []string `json:"warnings"`
}

func lines(fe *apis.FieldError) []string {
	out := []string{}
	if fe == nil {
		return out
	}
	for _, l := range strings.Split(fe.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func main() {
	failed := false
	enc := json.NewEncoder(os.Stdout)
	for _, path := range os.Args[1:] {
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			var svc servingv1.Service
			if err := dec.Decode(&svc); err == io.EOF {
				break
			} else if err != nil {
				_ = enc.Encode(result{File: path, Errors: []string{err.Error()}, Warnings: []string{}})
				failed = true
				break
			}
			if svc.Kind != "Service" || svc.APIVersion != "serving.knative.dev/v1" {
				continue
			}
			ctx := apis.WithinCreate(context.Background())
			svc.SetDefaults(ctx)
			fe := svc.Validate(ctx)
			r := result{File: path, Name: svc.Name, Errors: lines(fe.Filter(apis.ErrorLevel)), Warnings: lines(fe.Filter(apis.WarningLevel))}
			if len(r.Errors) > 0 {
				failed = true
			}
			_ = enc.Encode(r)
		}
	}
	if failed {
		os.Exit(1)
	}
}
