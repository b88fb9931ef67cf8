// Command gen-crds turns controller-gen's CRD output for Argo CD's API types
// into the three CustomResourceDefinition files the sandbox installs.
//
//	controller-gen paths=github.com/argoproj/argo-cd/v3/pkg/apis/application/... \
//	    crd:crdVersions=v1 output:crd:stdout > raw.yaml
//	go run ./hack/gen-crds raw.yaml OUTDIR
//
// It applies the post-processing upstream's hack/gen-crd-spec applies (read
// from the pinned module, reimplemented here) and nothing else:
//
//   - the labels app.kubernetes.io/name=<crd name> and
//     app.kubernetes.io/part-of=argocd;
//   - no controller-gen.kubebuilder.io/version annotation;
//   - scope Namespaced;
//   - every description removed from the ApplicationSet CRD (it is otherwise
//     too large for client-side apply's last-applied annotation);
//   - no status and no metadata.creationTimestamp on the CRD object itself.
//
// Upstream also calls a removeValidation for metadata.creationTimestamp and
// for AppProject's status, but its path contains "versions[*]", which
// unstructured.RemoveNestedField takes as a literal map key, so those calls
// change nothing; the published manifests/crds keep both. We match the
// published result and leave them in.
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

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// files maps each CRD name to its output file (upstream's manifests/crds names).
var files = map[string]string{
	"applications.argoproj.io":    "application-crd.yaml",
	"appprojects.argoproj.io":     "appproject-crd.yaml",
	"applicationsets.argoproj.io": "applicationset-crd.yaml",
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
	crds, err := readCRDs(input)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, crd := range crds {
		file, ok := files[crd.Name]
		if !ok {
			return fmt.Errorf("controller-gen produced an unexpected CRD %q", crd.Name)
		}
		seen[crd.Name] = true

		crd.Labels = map[string]string{
			"app.kubernetes.io/name":    crd.Name,
			"app.kubernetes.io/part-of": "argocd",
		}
		delete(crd.Annotations, "controller-gen.kubebuilder.io/version")
		if len(crd.Annotations) == 0 {
			crd.Annotations = nil
		}
		crd.Spec.Scope = apiextensionsv1.NamespaceScoped
		dropDesc := crd.Name == "applicationsets.argoproj.io"
		if err := writeCRD(crd, filepath.Join(outDir, file), dropDesc); err != nil {
			return err
		}
	}
	for name := range files {
		if !seen[name] {
			return fmt.Errorf("controller-gen produced no CRD %q", name)
		}
	}
	return nil
}

// readCRDs decodes the multi-document YAML controller-gen writes.
func readCRDs(path string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var crds []*apiextensionsv1.CustomResourceDefinition
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(bytes.TrimSpace(raw)) == 0 || string(raw) == "null" {
			continue // empty document between "---" separators
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := json.Unmarshal(raw, crd); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if crd.Kind != "CustomResourceDefinition" {
			return nil, fmt.Errorf("%s: unexpected kind %q", path, crd.Kind)
		}
		crds = append(crds, crd)
	}
	return crds, nil
}

// dropDescriptions deletes every string-valued "description" key, at any
// depth. A property that happens to be named "description" is a schema (a
// map), so it stays.
func dropDescriptions(v any) {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v["description"].(string); ok {
			delete(v, "description")
		}
		for _, child := range v {
			dropDescriptions(child)
		}
	case []any:
		for _, child := range v {
			dropDescriptions(child)
		}
	}
}

// writeCRD writes one CRD as YAML with sorted keys, without the status and
// creationTimestamp fields the Go type always carries, and without any
// description if dropDesc is set.
func writeCRD(crd *apiextensionsv1.CustomResourceDefinition, path string, dropDesc bool) error {
	data, err := json.Marshal(crd)
	if err != nil {
		return err
	}
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		return err
	}
	if dropDesc {
		dropDescriptions(obj)
	}
	delete(obj, "status")
	if meta, ok := obj["metadata"].(map[string]any); ok {
		delete(meta, "creationTimestamp")
	}
	out, err := yaml.Marshal(obj)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}
