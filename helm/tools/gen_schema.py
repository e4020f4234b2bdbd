#!/usr/bin/env python3
"""Writes helm/turnstile/values.schema.json (draft-07, closed objects)."""
import json, pathlib

def obj(props, required=()):
    o = {"type": "object", "additionalProperties": False, "properties": props}
    if required: o["required"] = list(required)
    return o

S = {"type": "string"}
NES = {"type": "string", "minLength": 1}
B = {"type": "boolean"}
def I(mn=None, mx=None):
    o = {"type": "integer"}
    if mn is not None: o["minimum"] = mn
    if mx is not None: o["maximum"] = mx
    return o
PORT = I(1, 65535)
QTY = {"oneOf": [{"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$"},
                 {"type": "number", "exclusiveMinimum": 0}]}
FREE = {"type": "object"}  # Kubernetes pass-through (affinity, selectors, annotations)
STRMAP = {"type": "object", "additionalProperties": {"type": "string"}}
LIST = {"type": "array"}
SECRETREF = obj({"name": S, "key": NES}, ["name", "key"])
IMAGE = obj({"registry": S, "repository": S, "tag": S,
             "pullPolicy": {"enum": ["Always", "IfNotPresent", "Never"]}})
RES = obj({"requests": obj({"cpu": QTY, "memory": QTY}, ["cpu", "memory"]),
           "limits": obj({"cpu": QTY, "memory": QTY}, ["cpu", "memory"])},
          ["requests", "limits"])
PDB = obj({"enabled": B, "maxUnavailable": {"oneOf": [I(0), {"type": "string", "pattern": "^[0-9]+%$"}]},
           "minAvailable": {"oneOf": [I(0), {"type": "string", "pattern": "^[0-9]+%$"}]}}, ["enabled"])
HPA = obj({"enabled": B, "minReplicas": I(1), "maxReplicas": I(1),
           "targetCPUUtilizationPercentage": I(1, 100)},
          ["enabled", "minReplicas", "maxReplicas", "targetCPUUtilizationPercentage"])
CMD = {"type": "array", "items": NES, "minItems": 1}

def service(db=True, hpa=True, extra=None):
    p = {"replicas": I(0), "image": IMAGE, "command": CMD, "port": PORT,
         "extraArgs": {"type": "array", "items": {"type": "string", "pattern": "^--[a-z_]+(=.*)?$"}},
         "resources": RES, "pdb": PDB, "podAnnotations": STRMAP, "nodeSelector": STRMAP,
         "tolerations": LIST, "affinity": FREE}
    req = ["replicas", "command", "port", "resources", "pdb"]
    if db:
        p["pgPoolSize"] = I(1, 1024)
        p["database"] = obj({"user": NES, "passwordSecret": SECRETREF}, ["user", "passwordSecret"])
        req += ["database"]
    if hpa:
        p["autoscaling"] = HPA
    p.update(extra or {})
    return obj(p, req)

# Per-identity booking limits: unset (null) = the binary's default, 0 = none.
LIMIT = {"type": ["integer", "null"], "minimum": 0}
booking_extra = {
    "limits": obj({"perDocumentPerDay": LIMIT, "perUserPerDay": LIMIT, "perUserPerRun": LIMIT}),
}

gateway_extra = {
    "allowedOrigins": {"type": "array", "items": {"type": "string", "pattern": r"^https?://[^*/]+$"}},
    "trustForwardedFor": B,
    "jwt": obj({"issuer": NES, "audience": NES, "clockSkewSeconds": I(0, 3600),
                "jwksSecret": SECRETREF, "hs256Secret": SECRETREF},
               ["issuer", "audience", "jwksSecret", "hs256Secret"]),
}

DURATION = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?s$"}
# The optional Envoy front (templates/envoy-*.yaml).
envoy = obj({
    "enabled": B, "replicas": I(0), "port": PORT, "adminPort": PORT, "ingress": B,
    "image": obj({"registry": S, "repository": NES,
                  "tag": {"type": "string", "pattern": r"^v?[0-9]+\.[0-9]+\.[0-9]+$"},
                  "pullPolicy": {"enum": ["Always", "IfNotPresent", "Never"]}},
                 ["repository", "tag"]),
    "logLevel": {"enum": ["trace", "debug", "info", "warning", "error", "critical", "off"]},
    "defaultTimeout": DURATION, "maxTimeout": DURATION,
    "placeOrderRateLimit": obj({"enabled": B, "maxTokens": I(1), "tokensPerFill": I(1),
                                "fillInterval": DURATION},
                               ["enabled", "maxTokens", "tokensPerFill", "fillInterval"]),
    "resources": RES, "pdb": PDB, "autoscaling": HPA, "podAnnotations": STRMAP,
    "nodeSelector": STRMAP, "tolerations": LIST, "affinity": FREE,
}, ["enabled", "replicas", "port", "adminPort", "image", "resources", "pdb"])

SEL = obj({"matchLabels": STRMAP, "matchExpressions": LIST})
schema = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Turnstile chart values",
    **obj({
        "nameOverride": S, "fullnameOverride": S,
        "image": obj({"registry": S, "repository": NES, "tag": S,
                      "pullPolicy": {"enum": ["Always", "IfNotPresent", "Never"]}},
                     ["repository", "pullPolicy"]),
        "imagePullSecrets": {"type": "array", "items": obj({"name": NES}, ["name"])},
        "ports": obj({"metrics": PORT, "health": PORT}, ["metrics", "health"]),
        "logLevel": {"enum": ["trace", "debug", "info", "warn", "error"]},
        "logFormat": {"enum": ["text", "json"]},
        "serviceAccount": obj({"create": B, "name": S, "annotations": STRMAP}),
        "podSecurityContext": FREE, "containerSecurityContext": FREE,
        "postgresql": obj({"host": NES, "port": PORT, "databasePrefix": {"type": "string", "pattern": "^[a-z_][a-z0-9_]*$"},
                           "sslmode": {"enum": ["", "disable", "allow", "prefer", "require", "verify-ca", "verify-full"]},
                           "admin": obj({"user": NES, "passwordSecret": SECRETREF}, ["user", "passwordSecret"])},
                          ["host", "port", "databasePrefix", "admin"]),
        "redis": obj({"host": NES, "port": PORT, "passwordSecret": SECRETREF}, ["host", "port", "passwordSecret"]),
        "tls": obj({"source": {"enum": ["certManager", "existingSecrets"]}, "mountPath": NES,
                    "refreshSeconds": I(1),
                    "secretKeys": obj({"ca": NES, "cert": NES, "key": NES}, ["ca", "cert", "key"]),
                    "certManager": obj({"issuerRef": obj({"name": NES, "kind": NES, "group": NES}, ["name", "kind"]),
                                        "duration": {"type": "string", "pattern": "^([0-9]+(h|m|s))+$"},
                                        "renewBefore": {"type": "string", "pattern": "^([0-9]+(h|m|s))+$"},
                                        "privateKey": obj({"algorithm": {"enum": ["RSA", "ECDSA", "Ed25519"]}, "size": I(0)})}),
                    "existingSecrets": obj({k: S for k in ["coordinator", "order", "inventory", "seat", "booking", "payment", "gateway", "turnstilectl"]})},
                   ["source", "mountPath", "secretKeys"]),
        "migrations": obj({"enabled": B, "image": IMAGE, "command": CMD, "backoffLimit": I(0),
                           "activeDeadlineSeconds": I(1), "ttlSecondsAfterFinished": I(0), "resources": RES},
                          ["enabled", "command", "resources"]),
        "networkPolicy": obj({"enabled": B, "ingressNamespaceSelector": SEL, "ingressPodSelector": SEL,
                              "monitoringNamespaceSelector": SEL, "monitoringPodSelector": SEL}, ["enabled"]),
        "ingress": obj({"enabled": B, "className": S, "annotations": STRMAP,
                        "hosts": {"type": "array", "items": obj({"host": S, "paths": {"type": "array", "items": obj(
                            {"path": NES, "pathType": {"enum": ["Prefix", "Exact", "ImplementationSpecific"]}}, ["path", "pathType"])}}, ["host", "paths"])},
                        "tls": {"type": "array", "items": obj({"secretName": S, "hosts": {"type": "array", "items": S}})}},
                       ["enabled"]),
        "serviceMonitor": obj({"enabled": B, "interval": S, "scrapeTimeout": S, "labels": STRMAP}, ["enabled"]),
        "prometheusRule": obj({"enabled": B, "labels": STRMAP}, ["enabled"]),
        "alerts": obj({"runbookUrl": {"type": "string", "pattern": r"^(https?://[^\s#]+)?$"}}),
        # The Grafana dashboard ConfigMap (templates/dashboard-configmap.yaml).
        "dashboard": obj({"enabled": B, "labels": STRMAP, "annotations": STRMAP,
                          "namespace": {"type": "string", "pattern": "^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$", "maxLength": 63}},
                         ["enabled"]),
        "coordinator": service(hpa=False),
        "order": service(), "inventory": service(), "seat": service(), "payment": service(),
        "booking": service(extra=booking_extra),
        "gateway": service(db=False, extra=gateway_extra),
        "envoy": envoy,
    }),
}
out = pathlib.Path(__file__).resolve().parent.parent / "turnstile" / "values.schema.json"
out.write_text(json.dumps(schema, indent=2) + "\n")
