"""The shape of every statement kind's payload, generated from the pydantic models.

Do not edit: run ``python -m provenance.model.table`` (see that module for
the meaning of each entry). A test fails when this file is stale.
"""

TABLE_JSON = r"""
{
 "format": 1,
 "kinds": {
  "actor.key_revoked": {
   "admin_only": false,
   "body": {
    "members": {
     "key_id": {
      "pattern": "^[0-9a-f]{64}$",
      "type": "string"
     },
     "reason": {
      "maxLength": 20000,
      "minLength": 1,
      "text": "lines",
      "type": "string"
     }
    },
    "required": [
     "key_id",
     "reason"
    ],
    "type": "object"
   },
   "creates": null,
   "needs_refs": false,
   "refs": [],
   "targets": "actor",
   "withdraws": null
  },
  "actor.key_rotated": {
   "admin_only": false,
   "body": {
    "members": {
     "public_key": {
      "pattern": "^[A-Za-z0-9+/]{43}=$",
      "type": "string"
     },
     "reason": {
      "maxLength": 20000,
      "minLength": 1,
      "text": "lines",
      "type": "string"
     }
    },
    "required": [
     "public_key"
    ],
    "type": "object"
   },
   "creates": null,
   "needs_refs": false,
   "refs": [],
   "targets": "actor",
   "withdraws": null
  },
  "actor.registered": {
   "admin_only": true,
   "body": {
    "members": {
     "admin": {
      "type": "boolean"
     },
     "name": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "public_key": {
      "pattern": "^[A-Za-z0-9+/]{43}=$",
      "type": "string"
     },
     "role": {
      "enum": [
       "organisation",
       "researcher",
       "auditor",
       "state-delegation",
       "observer"
      ],
      "type": "string"
     }
    },
    "required": [
     "name",
     "role"
    ],
    "type": "object"
   },
   "creates": "actor",
   "needs_refs": false,
   "refs": [],
   "targets": null,
   "withdraws": null
  },
  "challenge.raised": {
   "admin_only": false,
   "body": {
    "members": {
     "attributed_to": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "challenge_kind": {
      "enum": [
       "impartiality",
       "methodology",
       "authenticity",
       "chain-of-custody"
      ],
      "type": "string"
     },
     "claim": {
      "maxLength": 20000,
      "minLength": 1,
      "text": "lines",
      "type": "string"
     },
     "source": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "target": {
      "members": {
       "id": {
        "maxLength": 128,
        "minLength": 1,
        "text": "line",
        "type": "string"
       },
       "type": {
        "enum": [
         "finding",
         "assessment",
         "actor",
         "organisation"
        ],
        "type": "string"
       }
      },
      "required": [
       "type",
       "id"
      ],
      "type": "object"
     }
    },
    "required": [
     "target",
     "challenge_kind",
     "attributed_to",
     "claim"
    ],
    "type": "object"
   },
   "creates": "challenge",
   "needs_refs": false,
   "refs": [
    {
     "choices": {
      "actor": [
       "subject",
       "actor"
      ],
      "assessment": [
       "statement",
       "finding.assessed"
      ],
      "finding": [
       "subject",
       "finding"
      ],
      "organisation": [
       "subject",
       "actor"
      ]
     },
     "member": "target",
     "relation": "challenged-by",
     "to": "target"
    }
   ],
   "targets": null,
   "withdraws": null
  },
  "challenge.responded": {
   "admin_only": false,
   "body": {
    "members": {
     "attributed_to": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "source": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "stance": {
      "enum": [
       "rebuts",
       "concedes",
       "clarifies"
      ],
      "type": "string"
     },
     "text": {
      "maxLength": 20000,
      "minLength": 1,
      "text": "lines",
      "type": "string"
     }
    },
    "required": [
     "stance",
     "attributed_to",
     "text"
    ],
    "type": "object"
   },
   "creates": null,
   "needs_refs": false,
   "refs": [],
   "targets": "challenge",
   "withdraws": null
  },
  "evidence.attached": {
   "admin_only": false,
   "body": {
    "members": {
     "caption": {
      "maxLength": 20000,
      "minLength": 1,
      "text": "lines",
      "type": "string"
     },
     "digest": {
      "pattern": "^[0-9a-f]{64}$",
      "type": "string"
     },
     "filename": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "media_type": {
      "pattern": "^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$",
      "type": "string"
     },
     "size": {
      "maximum": 9007199254740991,
      "minimum": 0,
      "type": "integer"
     }
    },
    "required": [
     "digest",
     "size",
     "media_type"
    ],
    "type": "object"
   },
   "creates": null,
   "needs_refs": false,
   "refs": [
    {
     "member": "digest",
     "to": "digest"
    }
   ],
   "targets": "evidence",
   "withdraws": null
  },
  "evidence.component": {
   "admin_only": false,
   "body": {
    "members": {
     "country": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "date_code": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "date_code_meaning": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "lot": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "manufacturer": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "notes": {
      "maxLength": 20000,
      "minLength": 1,
      "text": "lines",
      "type": "string"
     },
     "part": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "part_number": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     }
    },
    "required": [
     "part"
    ],
    "type": "object"
   },
   "creates": null,
   "needs_refs": false,
   "refs": [],
   "targets": "evidence",
   "withdraws": null
  },
  "evidence.custody": {
   "admin_only": false,
   "body": {
    "members": {
     "action": {
      "enum": [
       "collected",
       "transferred",
       "examined",
       "copied",
       "stored"
      ],
      "type": "string"
     },
     "at": {
      "calendar": true,
      "pattern": "^[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,6})?)?Z)?)?)?$",
      "type": "string"
     },
     "changes": {
      "items": {
       "members": {
        "description": {
         "maxLength": 20000,
         "minLength": 1,
         "text": "lines",
         "type": "string"
        },
        "made_by": {
         "maxLength": 500,
         "minLength": 1,
         "text": "line",
         "type": "string"
        },
        "reason": {
         "maxLength": 20000,
         "minLength": 1,
         "text": "lines",
         "type": "string"
        }
       },
       "required": [
        "description",
        "made_by",
        "reason"
       ],
       "type": "object"
      },
      "maxItems": 100,
      "type": "array"
     },
     "condition": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "from_party": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "location": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "method": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "performed_by": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "purpose": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "to_party": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     }
    },
    "required": [
     "action",
     "at",
     "performed_by"
    ],
    "type": "object"
   },
   "creates": null,
   "needs_refs": false,
   "refs": [],
   "targets": "evidence",
   "withdraws": null
  },
  "evidence.derived": {
   "admin_only": false,
   "body": {
    "members": {
     "at": {
      "calendar": true,
      "pattern": "^[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,6})?)?Z)?)?)?$",
      "type": "string"
     },
     "how": {
      "maxLength": 20000,
      "minLength": 1,
      "text": "lines",
      "type": "string"
     },
     "performed_by": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "relation": {
      "enum": [
       "part-of",
       "derived-from"
      ],
      "type": "string"
     },
     "source": {
      "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$",
      "type": "string"
     }
    },
    "required": [
     "source",
     "relation"
    ],
    "type": "object"
   },
   "creates": null,
   "needs_refs": false,
   "refs": [
    {
     "member": "source",
     "relation": "source-of",
     "subject_type": "evidence",
     "to": "subject"
    }
   ],
   "targets": "evidence",
   "withdraws": null
  },
  "evidence.graded": {
   "admin_only": false,
   "body": {
    "members": {
     "credibility": {
      "enum": [
       1,
       2,
       3,
       4,
       5,
       6
      ],
      "type": "integer"
     },
     "rationale": {
      "maxLength": 20000,
      "minLength": 1,
      "text": "lines",
      "type": "string"
     },
     "reliability": {
      "enum": [
       "A",
       "B",
       "C",
       "D",
       "E",
       "F"
      ],
      "type": "string"
     }
    },
    "required": [
     "reliability",
     "credibility",
     "rationale"
    ],
    "type": "object"
   },
   "creates": null,
   "needs_refs": false,
   "refs": [],
   "targets": "evidence",
   "withdraws": null
  },
  "evidence.marking": {
   "admin_only": false,
   "body": {
    "members": {
     "location": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "meaning": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "method": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "text": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "value": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     }
    },
    "required": [
     "text"
    ],
    "type": "object"
   },
   "creates": null,
   "needs_refs": false,
   "refs": [],
   "targets": "evidence",
   "withdraws": null
  },
  "evidence.registered": {
   "admin_only": false,
   "body": {
    "members": {
     "custodian": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "description": {
      "maxLength": 20000,
      "minLength": 1,
      "text": "lines",
      "type": "string"
     },
     "identifiers": {
      "keys": {
       "maxLength": 64,
       "minLength": 1,
       "text": "line",
       "type": "string"
      },
      "type": "map",
      "values": {
       "maxLength": 500,
       "minLength": 1,
       "text": "line",
       "type": "string"
      }
     },
     "item_kind": {
      "enum": [
       "missile-remains",
       "weapon",
       "munition",
       "component",
       "document",
       "photograph",
       "video",
       "sample",
       "other"
      ],
      "type": "string"
     },
     "recovered_at": {
      "calendar": true,
      "pattern": "^[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,6})?)?Z)?)?)?$",
      "type": "string"
     },
     "recovered_where": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "title": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     }
    },
    "required": [
     "item_kind",
     "title"
    ],
    "type": "object"
   },
   "creates": "evidence",
   "needs_refs": false,
   "refs": [],
   "targets": null,
   "withdraws": null
  },
  "finding.asserted": {
   "admin_only": false,
   "body": {
    "members": {
     "alternatives": {
      "items": {
       "maxLength": 20000,
       "minLength": 1,
       "text": "lines",
       "type": "string"
      },
      "maxItems": 100,
      "type": "array"
     },
     "assumptions": {
      "items": {
       "maxLength": 20000,
       "minLength": 1,
       "text": "lines",
       "type": "string"
      },
      "maxItems": 100,
      "type": "array"
     },
     "claim": {
      "maxLength": 20000,
      "minLength": 1,
      "text": "lines",
      "type": "string"
     },
     "confidence": {
      "enum": [
       "high",
       "moderate",
       "low"
      ],
      "type": "string"
     },
     "evidence": {
      "items": {
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$",
       "type": "string"
      },
      "maxItems": 1000,
      "type": "array"
     },
     "likelihood": {
      "enum": [
       "almost no chance",
       "very unlikely",
       "unlikely",
       "roughly even chance",
       "likely",
       "very likely",
       "almost certain"
      ],
      "type": "string"
     },
     "limitations": {
      "items": {
       "maxLength": 20000,
       "minLength": 1,
       "text": "lines",
       "type": "string"
      },
      "maxItems": 100,
      "type": "array"
     }
    },
    "required": [
     "claim",
     "confidence"
    ],
    "type": "object"
   },
   "creates": "finding",
   "needs_refs": false,
   "refs": [
    {
     "member": "evidence",
     "relation": "evidence-for",
     "subject_type": "evidence",
     "to": "subject"
    }
   ],
   "targets": null,
   "withdraws": null
  },
  "finding.assessed": {
   "admin_only": false,
   "body": {
    "members": {
     "confidence": {
      "enum": [
       "high",
       "moderate",
       "low"
      ],
      "type": "string"
     },
     "likelihood": {
      "enum": [
       "almost no chance",
       "very unlikely",
       "unlikely",
       "roughly even chance",
       "likely",
       "very likely",
       "almost certain"
      ],
      "type": "string"
     },
     "rationale": {
      "maxLength": 20000,
      "minLength": 1,
      "text": "lines",
      "type": "string"
     },
     "stance": {
      "enum": [
       "supports",
       "contests",
       "qualifies"
      ],
      "type": "string"
     }
    },
    "required": [
     "stance",
     "confidence",
     "rationale"
    ],
    "type": "object"
   },
   "creates": null,
   "needs_refs": false,
   "refs": [],
   "targets": "finding",
   "withdraws": null
  },
  "finding.reaffirmed": {
   "admin_only": false,
   "body": {
    "members": {
     "observations": {
      "items": {
       "maxLength": 20000,
       "minLength": 1,
       "text": "lines",
       "type": "string"
      },
      "maxItems": 100,
      "type": "array"
     },
     "statement": {
      "maxLength": 20000,
      "minLength": 1,
      "text": "lines",
      "type": "string"
     }
    },
    "required": [
     "statement"
    ],
    "type": "object"
   },
   "creates": null,
   "needs_refs": false,
   "refs": [],
   "targets": "finding",
   "withdraws": null
  },
  "finding.revised": {
   "admin_only": false,
   "body": {
    "members": {
     "alternatives": {
      "items": {
       "maxLength": 20000,
       "minLength": 1,
       "text": "lines",
       "type": "string"
      },
      "maxItems": 100,
      "type": "array"
     },
     "assumptions": {
      "items": {
       "maxLength": 20000,
       "minLength": 1,
       "text": "lines",
       "type": "string"
      },
      "maxItems": 100,
      "type": "array"
     },
     "claim": {
      "maxLength": 20000,
      "minLength": 1,
      "text": "lines",
      "type": "string"
     },
     "confidence": {
      "enum": [
       "high",
       "moderate",
       "low"
      ],
      "type": "string"
     },
     "evidence": {
      "items": {
       "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$",
       "type": "string"
      },
      "maxItems": 1000,
      "type": "array"
     },
     "likelihood": {
      "enum": [
       "almost no chance",
       "very unlikely",
       "unlikely",
       "roughly even chance",
       "likely",
       "very likely",
       "almost certain"
      ],
      "type": "string"
     },
     "limitations": {
      "items": {
       "maxLength": 20000,
       "minLength": 1,
       "text": "lines",
       "type": "string"
      },
      "maxItems": 100,
      "type": "array"
     },
     "reason": {
      "maxLength": 20000,
      "minLength": 1,
      "text": "lines",
      "type": "string"
     }
    },
    "required": [
     "claim",
     "confidence",
     "reason"
    ],
    "type": "object"
   },
   "creates": null,
   "needs_refs": true,
   "refs": [
    {
     "member": "evidence",
     "relation": "evidence-for",
     "subject_type": "evidence",
     "to": "subject"
    }
   ],
   "targets": "finding",
   "withdraws": null
  },
  "statement.retracted": {
   "admin_only": false,
   "body": {
    "members": {
     "reason": {
      "maxLength": 20000,
      "minLength": 1,
      "text": "lines",
      "type": "string"
     },
     "statement": {
      "pattern": "^[0-9a-f]{64}$",
      "type": "string"
     }
    },
    "required": [
     "statement",
     "reason"
    ],
    "type": "object"
   },
   "creates": null,
   "needs_refs": false,
   "refs": [
    {
     "member": "statement",
     "relation": "withdrawn-by",
     "to": "statement"
    }
   ],
   "targets": "any",
   "withdraws": "statement"
  },
  "statement.superseded": {
   "admin_only": false,
   "body": {
    "members": {
     "reason": {
      "maxLength": 20000,
      "minLength": 1,
      "text": "lines",
      "type": "string"
     },
     "statement": {
      "pattern": "^[0-9a-f]{64}$",
      "type": "string"
     },
     "superseded_by": {
      "pattern": "^[0-9a-f]{64}$",
      "type": "string"
     }
    },
    "required": [
     "statement",
     "superseded_by",
     "reason"
    ],
    "type": "object"
   },
   "creates": null,
   "needs_refs": false,
   "refs": [
    {
     "member": "statement",
     "relation": "withdrawn-by",
     "to": "statement"
    },
    {
     "member": "superseded_by",
     "to": "statement"
    }
   ],
   "targets": "any",
   "withdraws": "statement"
  },
  "trace.requested": {
   "admin_only": false,
   "body": {
    "members": {
     "addressee": {
      "maxLength": 500,
      "minLength": 1,
      "text": "line",
      "type": "string"
     },
     "addressee_type": {
      "enum": [
       "manufacturer",
       "state",
       "other"
      ],
      "type": "string"
     },
     "question": {
      "maxLength": 20000,
      "minLength": 1,
      "text": "lines",
      "type": "string"
     },
     "sent_at": {
      "calendar": true,
      "pattern": "^[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,6})?)?Z)?)?)?$",
      "type": "string"
     },
     "target": {
      "members": {
       "id": {
        "maxLength": 128,
        "minLength": 1,
        "text": "line",
        "type": "string"
       },
       "type": {
        "enum": [
         "item",
         "component"
        ],
        "type": "string"
       }
      },
      "required": [
       "type",
       "id"
      ],
      "type": "object"
     }
    },
    "required": [
     "target",
     "addressee",
     "addressee_type",
     "question",
     "sent_at"
    ],
    "type": "object"
   },
   "creates": "trace",
   "needs_refs": false,
   "refs": [
    {
     "choices": {
      "component": [
       "statement",
       "evidence.component"
      ],
      "item": [
       "subject",
       "evidence"
      ]
     },
     "member": "target",
     "relation": "traced-by",
     "to": "target"
    }
   ],
   "targets": null,
   "withdraws": null
  },
  "trace.updated": {
   "admin_only": false,
   "body": {
    "members": {
     "answer": {
      "maxLength": 20000,
      "minLength": 1,
      "text": "lines",
      "type": "string"
     },
     "at": {
      "calendar": true,
      "pattern": "^[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,6})?)?Z)?)?)?$",
      "type": "string"
     },
     "status": {
      "enum": [
       "acknowledged",
       "answered",
       "declined",
       "no-response"
      ],
      "type": "string"
     }
    },
    "required": [
     "status",
     "at"
    ],
    "type": "object"
   },
   "creates": null,
   "needs_refs": false,
   "refs": [],
   "targets": "trace",
   "withdraws": null
  }
 },
 "payload": {
  "members": {
   "author": {
    "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$",
    "type": "string"
   },
   "body": {
    "type": "body"
   },
   "format": {
    "maximum": 1,
    "minimum": 1,
    "type": "integer"
   },
   "issued_at": {
    "calendar": true,
    "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,6})?Z$",
    "type": "string"
   },
   "kind": {
    "enum": [
     "actor.key_revoked",
     "actor.key_rotated",
     "actor.registered",
     "challenge.raised",
     "challenge.responded",
     "evidence.attached",
     "evidence.component",
     "evidence.custody",
     "evidence.derived",
     "evidence.graded",
     "evidence.marking",
     "evidence.registered",
     "finding.asserted",
     "finding.assessed",
     "finding.reaffirmed",
     "finding.revised",
     "statement.retracted",
     "statement.superseded",
     "trace.requested",
     "trace.updated"
    ],
    "type": "string"
   },
   "refs": {
    "items": {
     "pattern": "^[0-9a-f]{64}$",
     "type": "string"
    },
    "maxItems": 1000,
    "type": "array",
    "uniqueItems": true
   },
   "subject": {
    "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$",
    "type": "string"
   }
  },
  "required": [
   "format",
   "kind",
   "subject",
   "author",
   "issued_at",
   "refs",
   "body"
  ],
  "type": "object"
 }
}
"""  # noqa: E501
