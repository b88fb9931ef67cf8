// Command gen-crds turns controller-gen's CRD output for Argo Rollouts' API
// types into the five CustomResourceDefinition files the sandbox installs.
//
//	controller-gen paths=github.com/argoproj/argo-rollouts/pkg/apis/rollouts/... \
//	    crd:crdVersions=v1 output:crd:stdout > raw.yaml
//	go run ./hack/gen-crds raw.yaml OUTDIR
//
// It applies the post-processing upstream's hack/gen-crd-spec applies (read
// from the pinned module, reimplemented here):
//
//   - the resources.limits/requests of every container list in a pod
//     template, and the template's whole volumes list, become
//     {x-kubernetes-preserve-unknown-fields: true} (upstream's
//     removeK8S118Fields; it keeps the CRDs small);
//   - every pod template's and job's metadata gets a schema for its labels and
//     annotations (string maps) instead of controller-gen's bare "type: object",
//     under which the API server would prune them.
//
// Unlike upstream, a path that is not in the generated schema is an error
// here instead of being created. The kustomize patch-annotation schema
// upstream also writes (docs/features/kustomize/rollout_cr_schema.json,
// built from a swagger.json it downloads) is documentation and not made.
//
// Every object goes through apiextensions/v1.CustomResourceDefinition, so a
// field the API server would not know fails here rather than at apply time.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// files maps each kind to its output file (upstream's manifests/crds names).
var files = map[string]string{
	"Rollout":                 "rollout-crd.yaml",
	"Experiment":              "experiment-crd.yaml",
	"AnalysisTemplate":        "analysis-template-crd.yaml",
	"ClusterAnalysisTemplate": "cluster-analysis-template-crd.yaml",
	"AnalysisRun":             "analysis-run-crd.yaml",
}

// podTemplates lists, per kind, where a pod template sits in the schema
// ("[]" steps into a list's items).
var podTemplates = map[string][]string{
	"Rollout":                 {"spec.template"},
	"Experiment":              {"spec.templates[].template"},
	"AnalysisTemplate":        {"spec.metrics[].provider.job.spec.template"},
	"ClusterAnalysisTemplate": {"spec.metrics[].provider.job.spec.template"},
	"AnalysisRun":             {"spec.metrics[].provider.job.spec.template"},
}

// jobs lists, per kind, the metric-provider Job objects whose own metadata
// also gets the labels/annotations schema.
var jobs = map[string][]string{
	"AnalysisTemplate":        {"spec.metrics[].provider.job"},
	"ClusterAnalysisTemplate": {"spec.metrics[].provider.job"},
	"AnalysisRun":             {"spec.metrics[].provider.job"},
}

func preserveUnknown() map[string]any {
	return map[string]any{"x-kubernetes-preserve-unknown-fields": true}
}

func metadataSchema() map[string]any {
	stringMap := func() map[string]any {
		return map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}}
	}
	return map[string]any{
		"type":       "object",
		"properties": map[string]any{"labels": stringMap(), "annotations": stringMap()},
	}
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gen-crds CONTROLLER_GEN_OUTPUT.yaml OUTDIR")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "gen-crds:", err)
		os.Exit(1)
	}
}

func run(input, outDir string) error {
	objs, err := readObjects(input)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, obj := range objs {
		kind := crdKind(obj)
		file, ok := files[kind]
		if !ok {
			return fmt.Errorf("controller-gen produced an unexpected CRD of kind %q", kind)
		}
		seen[kind] = true
		versions, _ := dig(obj, "spec", "versions").([]any)
		if len(versions) == 0 {
			return fmt.Errorf("%s: no versions", kind)
		}
		for _, v := range versions {
			root, _ := dig(v, "schema", "openAPIV3Schema").(map[string]any)
			if root == nil {
				return fmt.Errorf("%s: version without an openAPIV3Schema", kind)
			}
			for _, tmpl := range podTemplates[kind] {
				for _, list := range []string{"containers", "initContainers", "ephemeralContainers"} {
					for _, field := range []string{"limits", "requests"} {
						p := tmpl + ".spec." + list + "[].resources." + field
						if err := replace(root, p, preserveUnknown()); err != nil {
							return fmt.Errorf("%s: %w", kind, err)
						}
					}
				}
				if err := replace(root, tmpl+".spec.volumes", preserveUnknown()); err != nil {
					return fmt.Errorf("%s: %w", kind, err)
				}
				if err := replace(root, tmpl+".metadata", metadataSchema()); err != nil {
					return fmt.Errorf("%s: %w", kind, err)
				}
			}
			for _, job := range jobs[kind] {
				if err := replace(root, job+".metadata", metadataSchema()); err != nil {
					return fmt.Errorf("%s: %w", kind, err)
				}
			}
		}
		if err := writeCRD(obj, filepath.Join(outDir, file)); err != nil {
			return fmt.Errorf("%s: %w", kind, err)
		}
	}
	for kind := range files {
		if !seen[kind] {
			return fmt.Errorf("controller-gen produced no CRD of kind %q", kind)
		}
	}
	return nil
}

// replace sets the schema of the field at path (dotted, "[]" for a list's
// items) below root to value. The field must already exist.
func replace(root map[string]any, path string, value map[string]any) error {
	node := root
	parts := strings.Split(path, ".")
	for i, part := range parts {
		list := strings.HasSuffix(part, "[]")
		props, _ := node["properties"].(map[string]any)
		child, _ := props[strings.TrimSuffix(part, "[]")].(map[string]any)
		if child == nil {
			return fmt.Errorf("no schema for %s", strings.Join(parts[:i+1], "."))
		}
		if i == len(parts)-1 {
			if list {
				return fmt.Errorf("%s: the last step cannot be a list's items", path)
			}
			props[part] = value
			return nil
		}
		if list {
			if child, _ = child["items"].(map[string]any); child == nil {
				return fmt.Errorf("no items schema for %s", strings.Join(parts[:i+1], "."))
			}
		}
		node = child
	}
	return nil
}

// dig returns the value at a path of map keys, or nil.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func crdKind(obj map[string]any) string {
	kind, _ := dig(obj, "spec", "names", "kind").(string)
	return kind
}

// readObjects decodes the multi-document YAML controller-gen writes.
func readObjects(path string) ([]map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var objs []map[string]any
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if obj == nil {
			continue // empty document between "---" separators
		}
		if obj["kind"] != "CustomResourceDefinition" {
			return nil, fmt.Errorf("%s: unexpected kind %v", path, obj["kind"])
		}
		objs = append(objs, obj)
	}
	return objs, nil
}

// writeCRD round-trips obj through the CRD Go type (dropping anything it
// does not know), then writes it as YAML with sorted keys, without the status
// and creationTimestamp fields the Go type always carries.
func writeCRD(obj map[string]any, path string) error {
	data, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := json.Unmarshal(data, &crd); err != nil {
		return err
	}
	if data, err = json.Marshal(&crd); err != nil {
		return err
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		return err
	}
	delete(out, "status")
	if meta, ok := out["metadata"].(map[string]any); ok {
		delete(meta, "creationTimestamp")
	}
	yamlBytes, err := yaml.Marshal(out)
	if err != nil {
		return err
	}
	return os.WriteFile(path, yamlBytes, 0o644)
}
