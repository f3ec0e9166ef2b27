// Generated from topichub's /openapi.json by `make console-api`. Do not edit by hand.
// The constraints the server's models declare, by model and field, so that the forms
// check what the server checks without copying its numbers.

export const LIMITS = {
  "ApiKeyCreate": {
    "expires_in_days": {
      "minimum": 1,
      "maximum": 3650
    },
    "name": {
      "pattern": "^[^\\x00]+$",
      "minLength": 1,
      "maxLength": 100
    },
    "permissions": {
      "minItems": 1,
      "maxItems": 3
    }
  },
  "Body_oauth2_token_api_v1_token_post": {
    "password": {
      "minLength": 1,
      "maxLength": 1024
    },
    "username": {
      "minLength": 1,
      "maxLength": 320
    }
  },
  "CommitIn": {
    "cursor": {
      "minLength": 1,
      "maxLength": 4096
    },
    "member": {
      "pattern": "^[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}$"
    }
  },
  "EditMessageIn": {
    "message": {
      "pattern": "^[^\\x00]+$",
      "minLength": 1,
      "maxLength": 4000
    }
  },
  "Filters": {
    "categories": {
      "maxItems": 100,
      "items": {
        "pattern": "^[a-z0-9-]*$",
        "maxLength": 64
      }
    },
    "category": {
      "maxItems": 100,
      "items": {
        "pattern": "^[a-z0-9-]*$",
        "maxLength": 64
      }
    },
    "exclude_items": {
      "maxItems": 10000,
      "items": {
        "pattern": "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]*$",
        "minLength": 1,
        "maxLength": 128
      }
    },
    "min_score": {
      "minimum": 0,
      "maximum": 1
    },
    "tags": {
      "maxItems": 100,
      "items": {
        "pattern": "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]*$",
        "minLength": 1,
        "maxLength": 32
      }
    }
  },
  "GroupCreate": {
    "name": {
      "pattern": "^[^\\x00-\\x1f]+$",
      "minLength": 1,
      "maxLength": 100
    }
  },
  "GroupSettingsIn": {
    "lease_s": {
      "minimum": 0.5,
      "maximum": 3600
    },
    "max_attempts": {
      "minimum": 1,
      "maximum": 100
    },
    "retry_delay_ms": {
      "minimum": 0,
      "maximum": 600000
    }
  },
  "InteractionIn": {
    "item_id": {
      "pattern": "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]*$",
      "minLength": 1,
      "maxLength": 128
    },
    "user_id": {
      "pattern": "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]*$",
      "minLength": 1,
      "maxLength": 128
    },
    "value": {
      "minimum": -1000000000,
      "maximum": 1000000000
    },
    "weight": {
      "minimum": -100,
      "maximum": 100
    }
  },
  "InteractionsIn": {
    "interactions": {
      "minItems": 1,
      "maxItems": 1000
    }
  },
  "ItemIn": {
    "category": {
      "pattern": "^[a-z0-9-]*$",
      "maxLength": 64
    },
    "description": {
      "pattern": "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]*$",
      "maxLength": 2048
    },
    "item_id": {
      "pattern": "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]*$",
      "minLength": 1,
      "maxLength": 128
    },
    "tags": {
      "maxItems": 20,
      "items": {
        "pattern": "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]*$",
        "minLength": 1,
        "maxLength": 32
      }
    },
    "title": {
      "pattern": "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]*$",
      "minLength": 1,
      "maxLength": 512
    }
  },
  "ItemsUpload": {
    "items": {
      "minItems": 1,
      "maxItems": 1000
    }
  },
  "MeUpdate": {
    "current_password": {
      "minLength": 1,
      "maxLength": 1024
    },
    "password": {
      "minLength": 1,
      "maxLength": 1024
    }
  },
  "MessageIn": {
    "headers": {
      "maxProperties": 64,
      "propertyNames": {
        "minLength": 1,
        "maxLength": 256
      },
      "additionalProperties": {
        "maxLength": 4096
      }
    },
    "key": {
      "maxLength": 1024
    },
    "partition": {
      "minimum": 0
    }
  },
  "NackIn": {
    "cursor": {
      "minLength": 1,
      "maxLength": 4096
    },
    "member": {
      "pattern": "^[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}$"
    },
    "reason": {
      "maxLength": 1024
    }
  },
  "PollIn": {
    "max": {
      "minimum": 1,
      "maximum": 500
    },
    "member": {
      "pattern": "^[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}$"
    },
    "wait_ms": {
      "minimum": 0,
      "maximum": 30000
    }
  },
  "ProjectCreate": {
    "description": {
      "pattern": "^[^\\x00]*$",
      "maxLength": 1000
    },
    "name": {
      "pattern": "^[^\\x00-\\x1f]+$",
      "minLength": 1,
      "maxLength": 100
    }
  },
  "ProjectUpdate": {
    "description": {
      "pattern": "^[^\\x00]*$",
      "maxLength": 1000
    },
    "name": {
      "pattern": "^[^\\x00-\\x1f]+$",
      "minLength": 1,
      "maxLength": 100
    }
  },
  "PublishIn": {
    "messages": {
      "minItems": 1
    }
  },
  "QuotasIn": {
    "bytes_per_day": {
      "minimum": 0,
      "maximum": 1000000000000
    },
    "max_streams_per_user": {
      "minimum": 0,
      "maximum": 100000
    },
    "messages_per_day": {
      "minimum": 0,
      "maximum": 1000000000000
    },
    "project_bytes_per_day": {
      "minimum": 0,
      "maximum": 1000000000000
    },
    "project_messages_per_day": {
      "minimum": 0,
      "maximum": 1000000000000
    },
    "tenant_bytes_per_day": {
      "minimum": 0,
      "maximum": 1000000000000
    },
    "tenant_messages_per_day": {
      "minimum": 0,
      "maximum": 1000000000000
    }
  },
  "RateLimitsIn": {
    "per_day": {
      "minimum": 0,
      "maximum": 1000000000000
    },
    "per_hour": {
      "minimum": 0,
      "maximum": 1000000000000
    },
    "per_minute": {
      "minimum": 0,
      "maximum": 1000000000000
    }
  },
  "RecommendationItem": {
    "score": {
      "minimum": 0,
      "maximum": 1
    }
  },
  "RecommendationRequest": {
    "count": {
      "minimum": 1,
      "maximum": 100
    },
    "user_id": {
      "pattern": "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]*$",
      "minLength": 1,
      "maxLength": 128
    }
  },
  "RefreshIn": {
    "refresh_token": {
      "minLength": 1,
      "maxLength": 512
    }
  },
  "RegisterIn": {
    "confirm_password": {
      "minLength": 1,
      "maxLength": 1024
    },
    "password": {
      "minLength": 1,
      "maxLength": 1024
    },
    "username": {
      "pattern": "^[A-Za-z0-9_.\\-]+$",
      "minLength": 3,
      "maxLength": 64
    }
  },
  "ResetIn": {
    "cursor": {
      "minLength": 1,
      "maxLength": 4096
    }
  },
  "SchemaCheckIn": {
    "values": {
      "maxItems": 100
    }
  },
  "SendMessageIn": {
    "message": {
      "pattern": "^[^\\x00]+$",
      "minLength": 1,
      "maxLength": 4000
    }
  },
  "SignupIn": {
    "password": {
      "minLength": 1,
      "maxLength": 1024
    },
    "username": {
      "pattern": "^[A-Za-z0-9_.\\-]+$",
      "minLength": 3,
      "maxLength": 64
    }
  },
  "TenantCreate": {
    "name": {
      "pattern": "^[^\\x00]+$",
      "minLength": 1,
      "maxLength": 200
    },
    "owner_email": {
      "pattern": "^[^\\x00]*$",
      "maxLength": 320
    },
    "plan": {
      "pattern": "^[a-z0-9_\\-]{1,32}$"
    }
  },
  "TenantUpdate": {
    "name": {
      "pattern": "^[^\\x00]+$",
      "minLength": 1,
      "maxLength": 200
    },
    "plan": {
      "pattern": "^[a-z0-9_\\-]{1,32}$"
    }
  },
  "TodoIn": {
    "description": {
      "pattern": "^[^\\x00]*$",
      "maxLength": 2000
    },
    "title": {
      "pattern": "^[^\\x00-\\x08\\x0b-\\x1f]+$",
      "minLength": 1,
      "maxLength": 200
    }
  },
  "TodoPatch": {
    "description": {
      "pattern": "^[^\\x00]*$",
      "maxLength": 2000
    },
    "title": {
      "pattern": "^[^\\x00-\\x08\\x0b-\\x1f]+$",
      "minLength": 1,
      "maxLength": 200
    }
  },
  "TopicCreate": {
    "name": {
      "pattern": "^[A-Za-z0-9][A-Za-z0-9._\\-]{0,99}$"
    },
    "partitions": {
      "minimum": 1
    },
    "retention_bytes": {
      "minimum": 1024
    },
    "retention_hours": {
      "minimum": 1,
      "maximum": 87600
    }
  },
  "TopicRename": {
    "name": {
      "pattern": "^[A-Za-z0-9][A-Za-z0-9._\\-]{0,99}$"
    }
  }
} as const;

// The same for the operations' parameters (query, path, header), by operation.
export const PARAMETER_LIMITS = {
  "GET /api/admin/tenants": {
    "limit": {
      "minimum": 1,
      "maximum": 500
    },
    "offset": {
      "minimum": 0,
      "maximum": 1000000
    }
  },
  "GET /api/admin/users": {
    "limit": {
      "minimum": 1,
      "maximum": 500
    },
    "offset": {
      "minimum": 0,
      "maximum": 1000000
    }
  },
  "POST /api/v1/auth/login": {
    "username": {
      "maxLength": 320
    },
    "password": {
      "maxLength": 1024
    }
  },
  "DELETE /api/v1/delete-message/{message_id}": {
    "message_id": {
      "minimum": 1,
      "maximum": 9223372036854776000
    }
  },
  "PUT /api/v1/edit-message/{message_id}": {
    "message_id": {
      "minimum": 1,
      "maximum": 9223372036854776000
    }
  },
  "GET /api/v1/events": {
    "limit": {
      "minimum": 1,
      "maximum": 500
    },
    "offset": {
      "minimum": 0,
      "maximum": 1000000
    },
    "topic": {
      "pattern": "^[^\\x00-\\x1f]+$",
      "minLength": 1,
      "maxLength": 100
    },
    "type": {
      "pattern": "^[^\\x00-\\x1f]+$",
      "minLength": 1,
      "maxLength": 64
    }
  },
  "GET /api/v1/math/history": {
    "limit": {
      "minimum": 1,
      "maximum": 500
    },
    "offset": {
      "minimum": 0,
      "maximum": 1000000
    }
  },
  "GET /api/v1/math/{operation}": {
    "operation": {
      "maxLength": 40
    },
    "a": {
      "maxLength": 1010
    },
    "b": {
      "maxLength": 1010
    },
    "n": {
      "maxLength": 1010
    }
  },
  "POST /api/v1/math/{operation}": {
    "operation": {
      "maxLength": 40
    }
  },
  "GET /api/v1/messages/{group_id}": {
    "before": {
      "minimum": 1,
      "maximum": 9223372036854776000
    },
    "limit": {
      "minimum": 1,
      "maximum": 200
    }
  },
  "GET /api/v1/todos": {
    "limit": {
      "minimum": 1,
      "maximum": 1000
    },
    "offset": {
      "minimum": 0,
      "maximum": 1000000
    }
  },
  "DELETE /api/v1/todos/{todo_id}": {
    "todo_id": {
      "minimum": 1,
      "maximum": 9223372036854776000
    }
  },
  "GET /api/v1/todos/{todo_id}": {
    "todo_id": {
      "minimum": 1,
      "maximum": 9223372036854776000
    }
  },
  "PATCH /api/v1/todos/{todo_id}": {
    "todo_id": {
      "minimum": 1,
      "maximum": 9223372036854776000
    }
  },
  "PUT /api/v1/todos/{todo_id}": {
    "todo_id": {
      "minimum": 1,
      "maximum": 9223372036854776000
    }
  },
  "DELETE /api/v1/topics/{name}/groups/{group}": {
    "group": {
      "pattern": "^[A-Za-z0-9][A-Za-z0-9._\\-]{0,99}$",
      "maxLength": 100
    }
  },
  "GET /api/v1/topics/{name}/groups/{group}": {
    "group": {
      "pattern": "^[A-Za-z0-9][A-Za-z0-9._\\-]{0,99}$",
      "maxLength": 100
    }
  },
  "PUT /api/v1/topics/{name}/groups/{group}": {
    "group": {
      "pattern": "^[A-Za-z0-9][A-Za-z0-9._\\-]{0,99}$",
      "maxLength": 100
    }
  },
  "POST /api/v1/topics/{name}/groups/{group}/commit": {
    "group": {
      "pattern": "^[A-Za-z0-9][A-Za-z0-9._\\-]{0,99}$",
      "maxLength": 100
    }
  },
  "POST /api/v1/topics/{name}/groups/{group}/nack": {
    "group": {
      "pattern": "^[A-Za-z0-9][A-Za-z0-9._\\-]{0,99}$",
      "maxLength": 100
    }
  },
  "POST /api/v1/topics/{name}/groups/{group}/poll": {
    "group": {
      "pattern": "^[A-Za-z0-9][A-Za-z0-9._\\-]{0,99}$",
      "maxLength": 100
    }
  },
  "POST /api/v1/topics/{name}/groups/{group}/reset": {
    "group": {
      "pattern": "^[A-Za-z0-9][A-Za-z0-9._\\-]{0,99}$",
      "maxLength": 100
    }
  },
  "GET /api/v1/topics/{name}/messages": {
    "partition": {
      "minimum": 0,
      "maximum": 2147483647
    },
    "offset": {
      "minimum": 0,
      "maximum": 9223372036854776000
    },
    "key": {
      "maxLength": 1024
    },
    "limit": {
      "minimum": 1,
      "maximum": 500
    },
    "cursor": {
      "maxLength": 4096
    }
  },
  "POST /api/v1/topics/{name}/publish": {
    "Idempotency-Key": {
      "maxLength": 200
    }
  },
  "GET /api/v1/topics/{name}/schema": {
    "version": {
      "minimum": 1,
      "maximum": 2147483647
    }
  },
  "GET /api/v1/topics/{name}/stream": {
    "cursor": {
      "maxLength": 4096
    },
    "ticket": {
      "maxLength": 2048
    },
    "group": {
      "pattern": "^[A-Za-z0-9][A-Za-z0-9._\\-]{0,99}$",
      "maxLength": 100
    },
    "last-event-id": {
      "maxLength": 4096
    }
  },
  "GET /api/v1/usage/history": {
    "days": {
      "minimum": 1,
      "maximum": 90
    }
  }
} as const;
