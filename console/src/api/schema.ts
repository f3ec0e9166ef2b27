// Generated from topichub's /openapi.json by `make console-api`. Do not edit by hand.

export interface paths {
    "/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The console, or the server's status
         * @description The web console for browsers (``Accept: text/html``); a status document for
         *     every other client.
         */
        get: operations["root__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/tenants": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List tenants
         * @description Every tenant with its limits and member count, a page at a time (`limit`,
         *     `offset`), and how many there are in all.
         */
        get: operations["list_tenants_api_admin_tenants_get"];
        put?: never;
        /**
         * Create a tenant
         * @description Create a tenant with a default project (and its `events` topic); `owner_email`
         *     makes an existing user its owner.
         */
        post: operations["create_tenant_api_admin_tenants_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/tenants/{tenant_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a tenant
         * @description One tenant with its own limits and the effective ones (its plan's, overridden).
         */
        get: operations["get_tenant_api_admin_tenants__tenant_id__get"];
        /**
         * Update a tenant (seed 003)
         * @description Update a tenant (seed 003); limits take effect on the tenant's next request.
         */
        put: operations["replace_tenant_api_admin_tenants__tenant_id__put"];
        post?: never;
        /**
         * Delete a tenant
         * @description Delete a tenant with its projects, topics, messages and keys.
         */
        delete: operations["delete_tenant_api_admin_tenants__tenant_id__delete"];
        options?: never;
        head?: never;
        /**
         * Update a tenant
         * @description Change a tenant's name, plan, status or limits (`rate_limits`: per_minute,
         *     per_hour, per_day; `quotas`: messages_per_day, bytes_per_day, …).
         */
        patch: operations["update_tenant_api_admin_tenants__tenant_id__patch"];
        trace?: never;
    };
    "/api/admin/tenants/{tenant_id}/usage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A tenant's usage today
         * @description Today's (UTC) messages and bytes of every project of the tenant.
         */
        get: operations["tenant_usage_api_admin_tenants__tenant_id__usage_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List users
         * @description Every user of the platform, oldest first, a page at a time (`limit`, `offset`).
         */
        get: operations["list_users_api_admin_users_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/users/{user_id}/deactivate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Deactivate a user
         * @description Deactivate a user: tokens and keys stop working, streams close within a second.
         */
        post: operations["deactivate_user_api_admin_users__user_id__deactivate_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/active-streams": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List every open stream
         * @description Every open stream: across all processes (from the shared slot registry) and, for
         *     this process, with the topic and transport it serves.
         */
        get: operations["active_streams_api_v1_admin_active_streams_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Platform health
         * @description The platform at a glance: the database, the log engine (brokers and partitions on
         *     Kafka), Redis, every process with its open streams, and this process's request and
         *     message rates per minute over the last hour. Always 200: a component that is down
         *     says so in its ``status`` and ``error``.
         */
        get: operations["admin_health_api_v1_admin_health_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/api-keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List API keys
         * @description Your tenant's keys, revoked ones included (an API key sees its project's keys).
         *     Only a prefix of each key is shown: the secret is never stored.
         */
        get: operations["list_keys_api_v1_api_keys_get"];
        put?: never;
        /**
         * Create an API key
         * @description Create a key for a project (the default project unless `project_id`). The answer
         *     is the only time the key is shown: send it as `X-API-Key: <key>` or
         *     `Authorization: Bearer <key>`. A key never gets more permissions than the credential
         *     that creates it, and a key creates keys only with the admin permission.
         */
        post: operations["create_key_api_v1_api_keys_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/api-keys/{key_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke an API key
         * @description Revoke a key: requests with it fail at once and its open streams close within a
         *     second. Your own keys, or any with the admin permission; revoking twice is a no-op.
         */
        delete: operations["revoke_key_api_v1_api_keys__key_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Log in with a password
         * @description Log in with a JSON body ``{"email"|"username", "password"}``, or (seed 001) with
         *     ``?username=…&password=…``.
         */
        post: operations["login_api_v1_auth_login_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Log out: end a session
         * @description End a session: the refresh token and every token rotated from the same login stop
         *     working. The refresh token is the credential, so no access token is needed. Always
         *     204, whether or not the token was known (the answer reveals nothing). Access tokens
         *     already issued live out their short lifetime.
         */
        post: operations["logout_api_v1_auth_logout_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Who am I
         * @description The signed-in user (or the owner of the API key), with their tenant and role.
         */
        get: operations["me_api_v1_auth_me_get"];
        put?: never;
        post?: never;
        /**
         * Deactivate my account
         * @description Deactivate the account: its tokens, refresh tokens and API keys stop working.
         */
        delete: operations["deactivate_me_api_v1_auth_me_delete"];
        options?: never;
        head?: never;
        /**
         * Change my email or password
         * @description Change email and/or password; both need `current_password`. A password change
         *     ends every other session and answers this one fresh tokens (`access_token`,
         *     `refresh_token`) beside the user.
         */
        patch: operations["update_me_api_v1_auth_me_patch"];
        trace?: never;
    };
    "/api/v1/auth/refresh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Refresh a session's tokens
         * @description Exchange a refresh token for a new pair; the old refresh token stops working.
         */
        post: operations["refresh_api_v1_auth_refresh_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/signup": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign up: create an account
         * @description Create an account with its own tenant, default project and default topic.
         */
        post: operations["signup_api_v1_auth_signup_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chat/groups": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List my chat groups
         * @description The groups you are a member of, with your role in each.
         */
        get: operations["list_groups_api_v1_chat_groups_get"];
        put?: never;
        /**
         * Create a chat group
         * @description Create a group; you are its admin.
         */
        post: operations["create_group_api_v1_chat_groups_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chat/groups/{group_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a chat group
         * @description A group you are a member of, with your role and every member; 404 otherwise.
         */
        get: operations["get_group_api_v1_chat_groups__group_id__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chat/groups/{group_id}/invitations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A group's pending invitations
         * @description Invitations of the group not yet answered nor expired; group admins only.
         */
        get: operations["list_group_invitations_api_v1_chat_groups__group_id__invitations_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chat/groups/{group_id}/invitations/{invitation_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke an invitation
         * @description Withdraw a pending invitation of the group; group admins only.
         */
        delete: operations["revoke_invitation_api_v1_chat_groups__group_id__invitations__invitation_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chat/groups/{group_id}/members": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Add a group member, or invite one
         * @description Group admins only. A user of your own tenant is added at once (201). Any other
         *     email gets a pending invitation (202, the same answer whether or not someone holds
         *     that address) that its holder accepts with `POST /chat/invitations/{id}/accept`.
         */
        post: operations["add_member_api_v1_chat_groups__group_id__members_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chat/groups/{group_id}/members/{user_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Remove a member, or leave
         * @description Remove a member (group admins), or leave (yourself). Their live sockets close.
         */
        delete: operations["remove_member_api_v1_chat_groups__group_id__members__user_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chat/invitations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * My pending chat invitations
         * @description Invitations addressed to your account's email, not yet answered nor expired.
         */
        get: operations["my_invitations_api_v1_chat_invitations_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chat/invitations/{invitation_id}/accept": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Accept a chat invitation
         * @description Join the group with the invited role. Only the invitation's addressee can; an
         *     expired one answers 409.
         */
        post: operations["accept_invitation_api_v1_chat_invitations__invitation_id__accept_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chat/invitations/{invitation_id}/decline": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Decline a chat invitation
         * @description Refuse the invitation; it disappears from your list and the group's.
         */
        post: operations["decline_invitation_api_v1_chat_invitations__invitation_id__decline_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/dapr/events/todos": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Receive a todo event from Dapr
         * @description Receive a todo event from the sidecar (as the seed's consumer did: log it).
         *
         *     Structured and binary CloudEvents are both read. A request that is not a CloudEvent
         *     answers 400 (Dapr retries non-2xx answers: a sender that does not speak the protocol
         *     must hear so). A CloudEvent that can never be a todo event answers ``DROP``, so Dapr
         *     discards it rather than retrying. ``RETRY`` would be for a transient failure, which
         *     this handler, changing nothing, cannot have.
         */
        post: operations["dapr_todo_event_api_v1_dapr_events_todos_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/dapr/subscribe": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Dapr subscription (for the sidecar)
         * @description Dapr's programmatic subscription: which topics of which component go where.
         */
        get: operations["dapr_subscribe_api_v1_dapr_subscribe_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/delete-message/{message_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Delete a message
         * @description Delete your message, or (as a group moderator or admin) anyone's.
         */
        delete: operations["delete_message_api_v1_delete_message__message_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/edit-message/{message_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Edit my message
         * @description Change your own message.
         */
        put: operations["edit_message_api_v1_edit_message__message_id__put"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List my tenant's app events
         * @description App events (todos, chat, math …) of your tenant, newest first, as the audit consumer
         *     stored them: each event once, whatever the number of deliveries.
         */
        get: operations["list_events_api_v1_events_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/interactions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Track interactions
         * @description Track one interaction (`{"user_id", "item_id", "interaction_type", "timestamp"?,
         *     "weight"?, "value"?}`) or up to 1,000 as `{"interactions": [...]}`. Types and default
         *     weights: view 1, click 2, share 3, like 4, add_to_cart 4, purchase 8,
         *     remove_from_cart -2, dislike -4, rating 2 * value - 5 (value 0 to 5). Each is
         *     published as `interaction_tracked` on your `interactions` topic.
         */
        post: operations["track_interactions_api_v1_interactions_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/items": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Upload catalog items
         * @description Add 1 to 1,000 items to the catalog, replacing those whose `item_id` exists.
         */
        post: operations["upload_items_api_v1_items_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/math/{operation}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Calculate (query parameters)
         * @description `GET /math/add?a=2&b=3` → `{"operation": "add", "a": 2, "b": 3, "result": 5}`.
         *     Integers are exact; a float operand makes a float result.
         */
        get: operations["calculate_get_api_v1_math__operation__get"];
        put?: never;
        /**
         * Calculate (JSON body)
         * @description The same with a JSON body: `{"a": 2, "b": 3}` or `{"n": 10}`.
         */
        post: operations["calculate_post_api_v1_math__operation__post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/math/history": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * My calculations
         * @description Your calculations, newest first.
         */
        get: operations["math_history_api_v1_math_history_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/math/history/{entry_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Delete a calculation
         * @description Delete one of your calculations from the history.
         */
        delete: operations["delete_math_history_entry_api_v1_math_history__entry_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/messages/{group_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A group's messages
         * @description The group's history, newest first. For the next page pass `before=<smallest id>`.
         */
        get: operations["list_messages_api_v1_messages__group_id__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List projects
         * @description The projects of your tenant (an API key sees only its own project).
         */
        get: operations["list_projects_api_v1_projects_get"];
        put?: never;
        /**
         * Create a project
         * @description Create a project in your tenant (admin permission; names are unique in the tenant,
         *     at most 100 projects). It starts without topics: create them with `project_id`.
         */
        post: operations["create_project_api_v1_projects_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/projects/{project_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a project
         * @description One project of your tenant; 404 for another tenant's.
         */
        get: operations["get_project_api_v1_projects__project_id__get"];
        put?: never;
        post?: never;
        /**
         * Delete a project
         * @description Delete a project with its topics, their messages and their keys; open streams on
         *     its topics are closed.
         */
        delete: operations["delete_project_api_v1_projects__project_id__delete"];
        options?: never;
        head?: never;
        /**
         * Update a project
         * @description Rename a project or change its description (admin permission); fields left out
         *     keep their value.
         */
        patch: operations["update_project_api_v1_projects__project_id__patch"];
        trace?: never;
    };
    "/api/v1/recommendations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Get recommendations
         * @description Up to `count` catalog items for your user `user_id`, best first, with scores in
         *     [0, 1]: similar to what the user liked (by co-interactions and by content), popular
         *     items for a user without history. Items the user purchased are left out. `filters`:
         *     `category` (one or a list), `categories`, `tags` (any of), `exclude_items`,
         *     `min_score`.
         */
        post: operations["recommendations_api_v1_recommendations_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/register": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Register (seed 004's sign-up)
         * @description Seed 004's registration: a username and/or an email, and a password.
         */
        post: operations["register_api_v1_register_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/send-message/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send a message
         * @description Send a message to a group you are a member of, as yourself.
         */
        post: operations["send_message_api_v1_send_message__post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/stream-tickets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Get a stream ticket (browsers)
         * @description A credential for one stream, valid for a minute (for browsers): used once, except
         *     that a ticket that opened an SSE stream may reopen that same stream, as a browser's
         *     EventSource does by itself after a network blip.
         */
        post: operations["create_stream_ticket_api_v1_stream_tickets_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/todos": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List my todos
         * @description Your todos, oldest first, as a plain JSON list (the seed's shape).
         */
        get: operations["list_todos_api_v1_todos_get"];
        put?: never;
        /**
         * Create a todo
         * @description Create a todo; `todo_created` goes to your `todos` topic.
         */
        post: operations["create_todo_api_v1_todos_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/todos/{todo_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a todo
         * @description One of your todos; 404 for anyone else's.
         */
        get: operations["get_todo_api_v1_todos__todo_id__get"];
        /**
         * Replace a todo
         * @description Full replace: fields left out take their defaults.
         */
        put: operations["replace_todo_api_v1_todos__todo_id__put"];
        post?: never;
        /**
         * Delete a todo
         * @description Delete one of your todos; `todo_deleted` goes to your `todos` topic.
         */
        delete: operations["delete_todo_api_v1_todos__todo_id__delete"];
        options?: never;
        head?: never;
        /**
         * Update a todo
         * @description Partial update: only the fields given change.
         */
        patch: operations["patch_todo_api_v1_todos__todo_id__patch"];
        trace?: never;
    };
    "/api/v1/token": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Log in with the OAuth2 password flow
         * @description OAuth2 password flow (seed 004): form fields ``username`` (or email) and ``password``.
         */
        post: operations["oauth2_token_api_v1_token_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/topics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List topics
         * @description The topics of a project (the credential's, or `project_id`): yours and the apps'
         *     (`events`, `todos`, `chat`, `logs`, `interactions`), each with its headline figures
         *     (`stats`): messages and bytes retained, the last message's time, messages and bytes
         *     published in the last minute. The log's figures may be up to 2 s old
         *     (docs/browse-and-stats.md).
         */
        get: operations["list_topics_api_v1_topics_get"];
        put?: never;
        /**
         * Create a topic
         * @description Create a topic (admin permission). Its name is unique in the project; partitions
         *     and the topics per project are bounded by the plan. Publish to it at once.
         */
        post: operations["create_topic_api_v1_topics_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/topics/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a topic
         * @description One topic by name, with its Kafka name for Kafka clients (Kafka engine).
         */
        get: operations["get_topic_api_v1_topics__name__get"];
        put?: never;
        post?: never;
        /**
         * Delete a topic
         * @description Delete a topic and its messages (admin permission). Streams
         *     open on it end with the close reason `topic_deleted` (WebSocket code 4004).
         */
        delete: operations["delete_topic_api_v1_topics__name__delete"];
        options?: never;
        head?: never;
        /**
         * Rename a topic
         * @description Rename a topic in its project. Messages, stream cursors and open streams carry
         *     over: the log behind the topic is named after its id, not its name.
         */
        patch: operations["rename_topic_api_v1_topics__name__patch"];
        trace?: never;
    };
    "/api/v1/topics/{name}/groups": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List a topic's consumer groups
         * @description The topic's groups: members, leases, committed and end offsets, lag.
         */
        get: operations["list_groups_api_v1_topics__name__groups_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/topics/{name}/groups/{group}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a consumer group
         * @description One group: its settings, members with their leased partitions, and per partition
         *     the committed and end offsets and the lag.
         */
        get: operations["get_group_api_v1_topics__name__groups__group__get"];
        /**
         * Create or configure a consumer group
         * @description Create the group or change its settings (201 when created).
         */
        put: operations["put_group_api_v1_topics__name__groups__group__put"];
        post?: never;
        /**
         * Delete a consumer group
         * @description Delete the group with its offsets and leases (write permission); the topic and
         *     its records stay.
         */
        delete: operations["delete_group_api_v1_topics__name__groups__group__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/topics/{name}/groups/{group}/commit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Commit a group's progress
         * @description Mark everything before the cursor's positions handled by the group.
         */
        post: operations["commit_api_v1_topics__name__groups__group__commit_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/topics/{name}/groups/{group}/nack": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Nack a record (redeliver it)
         * @description Redeliver the record (its partition goes back to it after a delay); after the
         *     group's `max_attempts` the record goes to `{name}.dlq` and the group moves on.
         */
        post: operations["nack_api_v1_topics__name__groups__group__nack_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/topics/{name}/groups/{group}/poll": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Poll records as a group member
         * @description Up to `max` records from the partitions leased to `member`, waiting up to
         *     `wait_ms` for one. Creates the group (earliest start, default settings) on first
         *     use. Delivered records count against the daily outbound quota, as a stream's do.
         */
        post: operations["poll_api_v1_topics__name__groups__group__poll_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/topics/{name}/groups/{group}/reset": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Reset a group's position
         * @description Move the group to the earliest or latest record, a time or a cursor; leases are
         *     dropped (members pick their partitions up again on their next poll).
         */
        post: operations["reset_group_api_v1_topics__name__groups__group__reset_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/topics/{name}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Browse a topic's messages
         * @description A page of the topic's log, oldest first (`order=asc`) or newest first (`desc`),
         *     filtered by partition, starting offset, time range and exact key. Follow `next` (send
         *     the same parameters plus `cursor=<next>`; the cursor replaces the starting offset)
         *     to page on; it is null at the end. Messages
         *     shown count against the daily outbound quota, as a stream's do.
         */
        get: operations["browse_messages_api_v1_topics__name__messages_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/topics/{name}/publish": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Publish messages to a topic
         * @description Publish a batch. A 200 means every message is stored (embedded: committed;
         *     Kafka: acknowledged by all in-sync replicas), with its partition and offset.
         */
        post: operations["publish_api_v1_topics__name__publish_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/topics/{name}/schema": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a topic's JSON Schema
         * @description The schema publishes are checked against (404 when there is none), or a past
         *     version by number.
         */
        get: operations["get_schema_api_v1_topics__name__schema_get"];
        /**
         * Set a topic's JSON Schema
         * @description Set the topic's JSON Schema (draft 2020-12). From then on a publish whose message
         *     does not validate is refused whole (422, naming the message's index and the JSON
         *     pointer), and stored messages carry the version in the `topichub-schema-version`
         *     header. Sending the schema in force again changes nothing; any other schema becomes
         *     a new version. Replacing a schema with one that cannot be shown to accept every
         *     message the old one accepted answers 409 unless `force=true`.
         */
        put: operations["put_schema_api_v1_topics__name__schema_put"];
        post?: never;
        /**
         * Remove a topic's schema
         * @description Stop checking publishes. Past versions stay readable; a later PUT starts a new
         *     version (numbers are never reused).
         */
        delete: operations["delete_schema_api_v1_topics__name__schema_delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/topics/{name}/schema/check": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Check values against a schema
         * @description Try values against the active schema, or against a schema not yet saved (then
         *     also say whether it could replace the active one without `force`). Nothing is
         *     stored; this is what a schema editor calls before saving.
         */
        post: operations["check_schema_api_v1_topics__name__schema_check_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/topics/{name}/schema/versions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List a topic's schema versions
         * @description Every version the topic's schema has had, newest first.
         */
        get: operations["list_schema_versions_api_v1_topics__name__schema_versions_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/topics/{name}/stats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A topic's statistics
         * @description Offsets per partition, messages retained, the last message's time, messages and
         *     bytes in and out over the last minute and hour, open streams, and bytes retained
         *     where the engine can tell cheaply. The log's figures may be up to 2 s old; see
         *     docs/browse-and-stats.md for how each figure is computed.
         */
        get: operations["topic_stats_api_v1_topics__name__stats_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/topics/{name}/stream": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Stream a topic (Server-Sent Events)
         * @description Server-Sent Events: a comment on connect, then `id: <cursor>` and `data: {…}` per
         *     message, heartbeat comments, and `event: close` when the server ends the stream.
         *     Reconnect with `Last-Event-ID` (browsers do it by themselves) to resume with no gap
         *     and no duplicate.
         */
        get: operations["stream_sse_api_v1_topics__name__stream_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/usage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * My usage today
         * @description Today's (UTC) usage: the caller's messages and bytes against their daily quotas
         *     (warning at 80 %), and the tenant's API calls, recommendations, items indexed and
         *     average latency.
         */
        get: operations["usage_api_v1_usage_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/usage/history": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * My usage per day
         * @description The caller's messages and bytes per UTC day over the last ``days`` days, oldest
         *     first, with a zero row for each day without traffic; today's counts are live.
         */
        get: operations["usage_history_api_v1_usage_history_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/usage/projects": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Usage per project today
         * @description Today's usage per project of the caller's tenant.
         */
        get: operations["usage_by_project_api_v1_usage_projects_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/asyncapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * AsyncAPI 3.0 document of the streams
         * @description The SSE and WebSocket streams (topics and chat groups: parameters, cursors, event,
         *     gap and close frames, close codes) and the app topics' event payloads, as AsyncAPI
         *     3.0. The same document for people: [/docs/streams](/docs/streams).
         */
        get: operations["asyncapi_asyncapi_json_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Liveness
         * @description Liveness: the process answers. Shape of seed 001 (`status`, `version`, `app`).
         */
        get: operations["health_health_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthcheck": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness (seed 000)
         * @description Seed 000: database and event bus checks; 503 when one is down.
         */
        get: operations["healthcheck_healthcheck_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness
         * @description Readiness: 200 when the database and the event bus answer, else 503.
         */
        get: operations["ready_ready_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * ApiKeyCreate
         * @example {
         *       "expires_in_days": 90,
         *       "name": "checkout service",
         *       "permissions": [
         *         "read",
         *         "write"
         *       ]
         *     }
         */
        ApiKeyCreate: {
            /** Expires In Days */
            expires_in_days?: number | null;
            /**
             * Name
             * @default API key
             */
            name: string;
            /**
             * Permissions
             * @default [
             *       "read",
             *       "write"
             *     ]
             */
            permissions: components["schemas"]["Permission"][];
            /** Project Id */
            project_id?: string | null;
        };
        /**
         * ApiKeyCreated
         * @description Returned once, at creation: the only time the secret is ever shown.
         * @example {
         *       "created_at": "2026-12-04T09:31:00Z",
         *       "expires_at": "2027-03-04T09:31:00Z",
         *       "id": "9c8b7a6d-5e4f-4a3b-8c1d-0e9f8a7b6c5d",
         *       "is_active": true,
         *       "key": "thk_4f3a9c2d1b0e8f7a_Zq8Xw2Lk5Nc7Rv1Tb4Yh9Jm3Pd6Gs0Fa",
         *       "last_used_at": null,
         *       "name": "checkout service",
         *       "permissions": [
         *         "read",
         *         "write"
         *       ],
         *       "prefix": "thk_4f3a9c2d",
         *       "project_id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
         *       "revoked_at": null,
         *       "secret": "thk_4f3a9c2d1b0e8f7a_Zq8Xw2Lk5Nc7Rv1Tb4Yh9Jm3Pd6Gs0Fa",
         *       "tenant_id": "7d2e4c1a-5b6f-4a8e-9c0d-1e2f3a4b5c6d"
         *     }
         */
        ApiKeyCreated: {
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Expires At */
            expires_at: string | null;
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Is Active */
            is_active: boolean;
            /**
             * Key
             * @description The API key itself, shown this once: store it now.
             */
            key: string;
            /** Last Used At */
            last_used_at: string | null;
            /** Name */
            name: string;
            /** Permissions */
            permissions: components["schemas"]["Permission"][];
            /** Prefix */
            prefix: string;
            /**
             * Project Id
             * Format: uuid
             */
            project_id: string;
            /** Revoked At */
            revoked_at: string | null;
            /**
             * Secret
             * @description Alias of `key` (seed 000's clients read this).
             */
            secret: string;
            /**
             * Tenant Id
             * Format: uuid
             */
            tenant_id: string;
        };
        /**
         * ApiKeyOut
         * @example {
         *       "created_at": "2026-12-04T09:31:00Z",
         *       "expires_at": "2027-03-04T09:31:00Z",
         *       "id": "9c8b7a6d-5e4f-4a3b-8c1d-0e9f8a7b6c5d",
         *       "is_active": true,
         *       "last_used_at": null,
         *       "name": "checkout service",
         *       "permissions": [
         *         "read",
         *         "write"
         *       ],
         *       "prefix": "thk_4f3a9c2d",
         *       "project_id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
         *       "revoked_at": null,
         *       "tenant_id": "7d2e4c1a-5b6f-4a8e-9c0d-1e2f3a4b5c6d"
         *     }
         */
        ApiKeyOut: {
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Expires At */
            expires_at: string | null;
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Is Active */
            is_active: boolean;
            /** Last Used At */
            last_used_at: string | null;
            /** Name */
            name: string;
            /** Permissions */
            permissions: components["schemas"]["Permission"][];
            /** Prefix */
            prefix: string;
            /**
             * Project Id
             * Format: uuid
             */
            project_id: string;
            /** Revoked At */
            revoked_at: string | null;
            /**
             * Tenant Id
             * Format: uuid
             */
            tenant_id: string;
        };
        /**
         * ApiUsageOut
         * @description Seed 003's billing view of the tenant's day.
         */
        ApiUsageOut: {
            /** Api Calls */
            api_calls: number;
            /**
             * Average Latency Ms
             * @description Of the calls that are not streams.
             */
            average_latency_ms: number;
            /**
             * Client Errors
             * @description Answers 4xx: refused permissions, limits (429), bad input.
             */
            client_errors: number;
            /**
             * Errors
             * @description Answers 5xx: the server's fault.
             */
            errors: number;
            /** Items Indexed */
            items_indexed: number;
            /** Recommendations Served */
            recommendations_served: number;
            /**
             * Streams
             * @description Streams opened; counted in `api_calls`, not in latency.
             */
            streams: number;
        };
        /** Body_oauth2_token_api_v1_token_post */
        Body_oauth2_token_api_v1_token_post: {
            /** Password */
            password: string;
            /** Username */
            username: string;
        };
        /** BrokerOut */
        BrokerOut: {
            /** Host */
            host: string;
            /** Node Id */
            node_id: number;
            /** Port */
            port: number;
        };
        /**
         * BrowsedMessage
         * @description A record in the lossless form streams deliver (docs/streaming.md), plus its size.
         */
        BrowsedMessage: {
            /** Headers */
            headers: {
                [key: string]: unknown;
            };
            /** Key */
            key: string | null;
            /** Key Encoding */
            key_encoding?: "base64" | null;
            /** Offset */
            offset: number;
            /** Partition */
            partition: number;
            /**
             * Size
             * @description Bytes of the value (what outbound usage counts)
             */
            size: number;
            /**
             * Timestamp
             * @description ISO-8601 UTC, millisecond precision
             */
            timestamp: string | null;
            /**
             * Tombstone
             * @default false
             */
            tombstone: boolean;
            /**
             * Undecodable
             * @description The record could not be encoded (only its position is given)
             * @default false
             */
            undecodable: boolean;
            /**
             * Value
             * @description The JSON value, or text/base64 per value_encoding
             */
            value: unknown;
            /** Value Encoding */
            value_encoding?: ("text" | "base64") | null;
        };
        /** CalculationOut */
        CalculationOut: {
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Inputs */
            inputs: {
                [key: string]: unknown;
            };
            /** Operation */
            operation: string;
            /** Result */
            result: unknown;
        };
        /**
         * ChatRole
         * @enum {string}
         */
        ChatRole: "member" | "moderator" | "admin";
        /**
         * CommitIn
         * @example {
         *       "cursor": "0:42",
         *       "member": "worker-1"
         *     }
         */
        CommitIn: {
            /**
             * Cursor
             * @description A record's or a batch's cursor: handled up to there
             */
            cursor: string;
            /** Member */
            member?: string | null;
        };
        /**
         * Committed
         * @example {
         *       "committed": {
         *         "0": 42
         *       }
         *     }
         */
        Committed: {
            /**
             * Committed
             * @description Committed offset per partition
             */
            committed: {
                [key: string]: number;
            };
        };
        /**
         * DailyLimitsOut
         * @description The plan's daily quotas per user; ``None`` means unlimited.
         */
        DailyLimitsOut: {
            /** Bytes In */
            bytes_in: number | null;
            /** Bytes Out */
            bytes_out: number | null;
            /** Messages In */
            messages_in: number | null;
            /** Messages Out */
            messages_out: number | null;
        };
        /** DatabaseOut */
        DatabaseOut: {
            /** Dialect */
            dialect: string;
            /** Error */
            error?: string | null;
            /**
             * Latency Ms
             * @description How long the probe took
             */
            latency_ms: number | null;
            /**
             * Status
             * @description ok, down, or off (not configured)
             * @enum {string}
             */
            status: "ok" | "down" | "off";
        };
        /** DayUsageOut */
        DayUsageOut: {
            /** Bytes In */
            bytes_in: number;
            /** Bytes Out */
            bytes_out: number;
            /**
             * Date
             * Format: date
             */
            date: string;
            /** Messages In */
            messages_in: number;
            /** Messages Out */
            messages_out: number;
        };
        /**
         * DeletedOut
         * @example {
         *       "group_id": "0e71192c-aaf0-45e6-a7d5-678158feb53d",
         *       "message_id": 1,
         *       "status": "deleted"
         *     }
         */
        DeletedOut: {
            /**
             * Group Id
             * Format: uuid
             */
            group_id: string;
            /** Message Id */
            message_id: number;
            /**
             * Status
             * @default deleted
             */
            status: string;
        };
        /**
         * EditMessageIn
         * @example {
         *       "message": "hello!"
         *     }
         */
        EditMessageIn: {
            /** Message */
            message: string;
        };
        /** EffectiveLimits */
        EffectiveLimits: {
            /** Max Streams Per User */
            max_streams_per_user: number;
            /** Quotas */
            quotas: {
                [key: string]: number | null;
            };
            /** Rate Limits */
            rate_limits: {
                [key: string]: number | null;
            };
        };
        /** ErrorBody */
        ErrorBody: {
            /** Code */
            code: string;
            /**
             * Details
             * @default null
             */
            details: unknown;
            /** Message */
            message: string;
            /**
             * Request Id
             * @default null
             */
            request_id: string | null;
            /** Timestamp */
            timestamp: string;
        };
        /**
         * ErrorEnvelope
         * @description Every error answer (the OpenAPI document's schema for 4xx/5xx responses).
         * @example {
         *       "detail": "Topic 'orders' not found",
         *       "error": {
         *         "code": "NOT_FOUND",
         *         "details": null,
         *         "message": "Topic 'orders' not found",
         *         "request_id": "5f0c1d2e3a4b4c6d",
         *         "timestamp": "2026-12-04T10:30:00.120Z"
         *       }
         *     }
         * @example {
         *       "detail": "Invalid messages.0.partition: Input should be greater than or equal to 0",
         *       "error": {
         *         "code": "VALIDATION_ERROR",
         *         "details": [
         *           {
         *             "field": "messages.0.partition",
         *             "location": "body",
         *             "reason": "Input should be greater than or equal to 0",
         *             "type": "greater_than_equal"
         *           }
         *         ],
         *         "message": "Invalid messages.0.partition: Input should be greater than or equal to 0",
         *         "request_id": "5f0c1d2e3a4b4c6e",
         *         "timestamp": "2026-12-04T10:30:01.450Z"
         *       }
         *     }
         */
        ErrorEnvelope: {
            /** Detail */
            detail: string;
            error: components["schemas"]["ErrorBody"];
        };
        /** EventOut */
        EventOut: {
            /** Actor Id */
            actor_id: string | null;
            /**
             * Event Id
             * Format: uuid
             */
            event_id: string;
            /** Key */
            key: string | null;
            /**
             * Occurred At
             * Format: date-time
             */
            occurred_at: string;
            /** Payload */
            payload: {
                [key: string]: unknown;
            };
            /** Project Id */
            project_id: string | null;
            /**
             * Stored At
             * Format: date-time
             */
            stored_at: string;
            /** Topic */
            topic: string;
            /** Type */
            type: string;
        };
        /**
         * EventPage
         * @example {
         *       "has_more": false,
         *       "items": [
         *         {
         *           "actor_id": "3f1c9b2e-8a4d-4e6f-9b1a-2c3d4e5f6a7b",
         *           "event_id": "2b7c9d1e-3f4a-4b5c-9d6e-7f8a9b0c1d2e",
         *           "key": "17",
         *           "occurred_at": "2026-12-04T09:50:00Z",
         *           "payload": {
         *             "completed": false,
         *             "created_at": "2026-12-04T09:50:00Z",
         *             "created_by": "ada@example.com",
         *             "description": null,
         *             "id": 17,
         *             "title": "write docs"
         *           },
         *           "project_id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
         *           "stored_at": "2026-12-04T09:50:00.350Z",
         *           "topic": "todos",
         *           "type": "todo_created"
         *         }
         *       ],
         *       "limit": 50,
         *       "offset": 0
         *     }
         */
        EventPage: {
            /** Has More */
            has_more: boolean;
            /** Items */
            items: components["schemas"]["EventOut"][];
            /** Limit */
            limit: number;
            /** Offset */
            offset: number;
        };
        /**
         * Filters
         * @description Which items may be recommended. ``category``/``categories`` and ``tags`` keep
         *     items that match any of the values given.
         */
        Filters: {
            /** Categories */
            categories?: string[] | null;
            /**
             * Category
             * @description One category or a list of them.
             */
            category?: string[] | null;
            /** Exclude Items */
            exclude_items?: string[] | null;
            /** Min Score */
            min_score?: number | null;
            /** Tags */
            tags?: string[] | null;
        };
        /**
         * GroupCreate
         * @example {
         *       "name": "team"
         *     }
         */
        GroupCreate: {
            /** Name */
            name: string;
        };
        /**
         * GroupDetail
         * @example {
         *       "created_at": "2026-12-04T10:00:00Z",
         *       "id": "0e71192c-aaf0-45e6-a7d5-678158feb53d",
         *       "members": [
         *         {
         *           "email": "ada@example.com",
         *           "joined_at": "2026-12-04T10:02:00Z",
         *           "role": "admin",
         *           "user_id": "3f1c9b2e-8a4d-4e6f-9b1a-2c3d4e5f6a7b",
         *           "username": "ada"
         *         },
         *         {
         *           "email": "grace@example.com",
         *           "joined_at": "2026-12-04T10:02:00Z",
         *           "role": "member",
         *           "user_id": "0c095392-4c2c-43c7-ad50-e5102a3050f9",
         *           "username": null
         *         }
         *       ],
         *       "name": "team",
         *       "role": "admin"
         *     }
         */
        GroupDetail: {
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Members */
            members: components["schemas"]["topichub__chat__schemas__MemberOut"][];
            /** Name */
            name: string;
            role: components["schemas"]["ChatRole"];
        };
        /**
         * GroupRecord
         * @description A record in the streams' lossless form (docs/streaming.md) with its cursor.
         */
        GroupRecord: {
            /**
             * Attempt
             * @description 1 on first delivery; n after n-1 nacks
             */
            attempt: number;
            /**
             * Cursor
             * @description Commit or nack this record with it
             */
            cursor: string;
            /** Headers */
            headers: {
                [key: string]: unknown;
            };
            /** Key */
            key: string | null;
            /** Key Encoding */
            key_encoding?: "base64" | null;
            /** Offset */
            offset: number;
            /** Partition */
            partition: number;
            /** Timestamp */
            timestamp: string | null;
            /**
             * Tombstone
             * @default false
             */
            tombstone: boolean;
            /**
             * Undecodable
             * @default false
             */
            undecodable: boolean;
            /** Value */
            value: unknown;
            /** Value Encoding */
            value_encoding?: ("text" | "base64") | null;
        };
        /**
         * GroupSettingsIn
         * @example {
         *       "lease_s": 30,
         *       "max_attempts": 5,
         *       "start": "earliest"
         *     }
         */
        GroupSettingsIn: {
            /**
             * Lease S
             * @description A member's partitions go to others this long after its last poll
             */
            lease_s?: number | null;
            /**
             * Max Attempts
             * @description Nacks of one record before it goes to {topic}.dlq
             */
            max_attempts?: number | null;
            /**
             * Retry Delay Ms
             * @description First redelivery delay after a nack (doubles per attempt)
             */
            retry_delay_ms?: number | null;
            /**
             * Start
             * @description Where a new group starts (ignored for an existing group)
             */
            start?: ("earliest" | "latest") | null;
        };
        /**
         * HealthOut
         * @example {
         *       "checked_at": "2026-12-04T09:45:00Z",
         *       "database": {
         *         "dialect": "postgresql",
         *         "latency_ms": 0.8,
         *         "status": "ok"
         *       },
         *       "log": {
         *         "brokers": [
         *           {
         *             "host": "kafka-1",
         *             "node_id": 1,
         *             "port": 9092
         *           }
         *         ],
         *         "cluster_partitions": 23,
         *         "cluster_topics": 15,
         *         "engine": "kafka",
         *         "latency_ms": 2.1,
         *         "partitions": 20,
         *         "status": "ok",
         *         "topics": 12
         *       },
         *       "processes": [
         *         {
         *           "open_streams": 3,
         *           "process_id": "web-1:4121",
         *           "this_process": true
         *         }
         *       ],
         *       "processes_error": null,
         *       "rates": {
         *         "messages_in": 120,
         *         "messages_out": 360,
         *         "minutes": [
         *           {
         *             "messages_in": 120,
         *             "messages_out": 360,
         *             "minute": "2026-12-04T09:45:00Z",
         *             "requests": 42
         *           }
         *         ],
         *         "requests": 42,
         *         "scope": "this process",
         *         "since": "2026-12-04T08:45:00Z"
         *       },
         *       "redis": {
         *         "latency_ms": 0.4,
         *         "status": "ok"
         *       },
         *       "status": "ok",
         *       "version": "0.1.0"
         *     }
         */
        HealthOut: {
            /**
             * Checked At
             * Format: date-time
             */
            checked_at: string;
            database: components["schemas"]["DatabaseOut"];
            log: components["schemas"]["LogOut"];
            /** Processes */
            processes: components["schemas"]["ProcessOut"][];
            /**
             * Processes Error
             * @description Why only this process is listed (the shared registry is unreachable)
             */
            processes_error: string | null;
            rates: components["schemas"]["RatesOut"];
            redis: components["schemas"]["RedisOut"];
            /**
             * Status
             * @enum {string}
             */
            status: "ok" | "degraded";
            /** Version */
            version: string;
        };
        /**
         * HistoryPage
         * @example {
         *       "has_more": false,
         *       "items": [
         *         {
         *           "created_at": "2026-12-04T09:55:00Z",
         *           "id": "6e5d4c3b-2a19-4f08-8e7d-6c5b4a392817",
         *           "inputs": {
         *             "a": 2,
         *             "b": 3
         *           },
         *           "operation": "add",
         *           "result": 5
         *         }
         *       ],
         *       "limit": 50,
         *       "offset": 0
         *     }
         */
        HistoryPage: {
            /** Has More */
            has_more: boolean;
            /** Items */
            items: components["schemas"]["CalculationOut"][];
            /** Limit */
            limit: number;
            /** Offset */
            offset: number;
        };
        /**
         * InteractionIn
         * @description One interaction of one of the tenant's users with an item. ``weight`` overrides
         *     the type's default; a ``rating`` needs a ``value`` from 0 to 5.
         */
        InteractionIn: {
            /**
             * Interaction Type
             * @enum {string}
             */
            interaction_type: "view" | "click" | "share" | "like" | "add_to_cart" | "purchase" | "remove_from_cart" | "dislike" | "rating";
            /** Item Id */
            item_id: string;
            /**
             * Timestamp
             * @description When it happened (ISO-8601; UTC if no offset).
             */
            timestamp?: string | null;
            /** User Id */
            user_id: string;
            /** Value */
            value?: number | null;
            /** Weight */
            weight?: number | null;
        };
        /**
         * InteractionsIn
         * @description One interaction object (seed 003's form), or ``{"interactions": [...]}`` with up
         *     to 1,000 of them.
         * @example {
         *       "interactions": [
         *         {
         *           "interaction_type": "view",
         *           "item_id": "book-42",
         *           "user_id": "u-7"
         *         },
         *         {
         *           "interaction_type": "rating",
         *           "item_id": "book-42",
         *           "timestamp": "2026-12-04T10:05:00Z",
         *           "user_id": "u-7",
         *           "value": 4.5
         *         }
         *       ]
         *     }
         */
        InteractionsIn: {
            /** Interactions */
            interactions: components["schemas"]["InteractionIn"][];
        };
        /**
         * InteractionsOut
         * @example {
         *       "accepted": 2,
         *       "interaction_ids": [
         *         "8f7e6d5c-4b3a-4c2d-9e1f-0a9b8c7d6e5f",
         *         "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
         *       ],
         *       "status": "accepted"
         *     }
         */
        InteractionsOut: {
            /** Accepted */
            accepted: number;
            /**
             * Interaction Id
             * @description The id of a single interaction (seed 003's answer).
             */
            interaction_id?: string | null;
            /** Interaction Ids */
            interaction_ids: string[];
            /**
             * Status
             * @default accepted
             * @constant
             */
            status: "accepted";
        };
        /**
         * InvitationList
         * @example {
         *       "invitations": [
         *         {
         *           "created_at": "2026-12-04T10:02:00Z",
         *           "email": "grace@example.org",
         *           "expires_at": "2026-12-11T10:02:00Z",
         *           "group_id": "0e71192c-aaf0-45e6-a7d5-678158feb53d",
         *           "group_name": "team",
         *           "id": "7d0c2f4e-5b1a-4c3d-9e8f-1a2b3c4d5e6f",
         *           "invited_by": "ada",
         *           "role": "member"
         *         }
         *       ]
         *     }
         */
        InvitationList: {
            /** Invitations */
            invitations: components["schemas"]["InvitationOut"][];
        };
        /**
         * InvitationOut
         * @example {
         *       "created_at": "2026-12-04T10:02:00Z",
         *       "email": "grace@example.org",
         *       "expires_at": "2026-12-11T10:02:00Z",
         *       "group_id": "0e71192c-aaf0-45e6-a7d5-678158feb53d",
         *       "group_name": "team",
         *       "id": "7d0c2f4e-5b1a-4c3d-9e8f-1a2b3c4d5e6f",
         *       "invited_by": "ada",
         *       "role": "member"
         *     }
         */
        InvitationOut: {
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Email */
            email: string;
            /**
             * Expires At
             * Format: date-time
             */
            expires_at: string;
            /**
             * Group Id
             * Format: uuid
             */
            group_id: string;
            /** Group Name */
            group_name: string;
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Invited By */
            invited_by: string | null;
            role: components["schemas"]["ChatRole"];
        };
        /**
         * InvitedOut
         * @description The answer (202) to adding an email that is not a user of your tenant: the same
         *     whether or not someone holds that address.
         * @example {
         *       "email": "grace@example.org",
         *       "expires_at": "2026-12-11T10:02:00Z",
         *       "invitation_id": "7d0c2f4e-5b1a-4c3d-9e8f-1a2b3c4d5e6f",
         *       "role": "member",
         *       "status": "invited"
         *     }
         */
        InvitedOut: {
            /** Email */
            email: string;
            /**
             * Expires At
             * Format: date-time
             */
            expires_at: string;
            /**
             * Invitation Id
             * Format: uuid
             */
            invitation_id: string;
            role: components["schemas"]["ChatRole"];
            /**
             * Status
             * @default invited
             */
            status: string;
        };
        /**
         * ItemIn
         * @description A catalog item; an ``item_id`` already in the catalog is replaced.
         */
        ItemIn: {
            /**
             * Category
             * @example books
             */
            category?: string | null;
            /** Description */
            description?: string | null;
            /** Item Id */
            item_id: string;
            /** Metadata */
            metadata?: {
                [key: string]: unknown;
            } | null;
            /** Tags */
            tags?: string[] | null;
            /** Title */
            title: string;
        };
        /**
         * ItemsUpload
         * @example {
         *       "items": [
         *         {
         *           "category": "books",
         *           "item_id": "book-42",
         *           "metadata": {
         *             "price": 39.9
         *           },
         *           "tags": [
         *             "software",
         *             "craft"
         *           ],
         *           "title": "The Pragmatic Programmer"
         *         }
         *       ]
         *     }
         */
        ItemsUpload: {
            /** Items */
            items: components["schemas"]["ItemIn"][];
        };
        /**
         * ItemsUploadOut
         * @description Seed 003's answer (``accepted``, ``rejected``, ``validation_errors``) plus how many
         *     items were new and how many replaced. An invalid item fails the whole upload (422).
         * @example {
         *       "accepted": 1,
         *       "created": 1,
         *       "rejected": 0,
         *       "updated": 0,
         *       "validation_errors": null
         *     }
         */
        ItemsUploadOut: {
            /** Accepted */
            accepted: number;
            /** Created */
            created: number;
            /**
             * Rejected
             * @default 0
             */
            rejected: number;
            /** Updated */
            updated: number;
            /** Validation Errors */
            validation_errors?: {
                [key: string]: string;
            }[] | null;
        };
        /**
         * KeyHash
         * @description How a topic maps keys to partitions: which producers' placement it agrees with.
         * @enum {string}
         */
        KeyHash: "murmur2" | "consistent_random";
        /** LogOut */
        LogOut: {
            /**
             * Brokers
             * @description Kafka only: the cluster's brokers
             */
            brokers: components["schemas"]["BrokerOut"][] | null;
            /**
             * Cluster Partitions
             * @description Kafka only: their partitions
             */
            cluster_partitions: number | null;
            /**
             * Cluster Topics
             * @description Kafka only: topics in the cluster
             */
            cluster_topics: number | null;
            /**
             * Engine
             * @description embedded (the database) or kafka
             */
            engine: string;
            /** Error */
            error?: string | null;
            /**
             * Latency Ms
             * @description How long the probe took
             */
            latency_ms: number | null;
            /**
             * Partitions
             * @description Their partitions
             */
            partitions: number | null;
            /**
             * Status
             * @description ok, down, or off (not configured)
             * @enum {string}
             */
            status: "ok" | "down" | "off";
            /**
             * Topics
             * @description Topics registered in topichub
             */
            topics: number | null;
        };
        /**
         * MemberIn
         * @example {
         *       "email": "grace@example.com",
         *       "role": "member"
         *     }
         */
        MemberIn: {
            /**
             * Email
             * Format: email
             */
            email: string;
            /** @default member */
            role: components["schemas"]["ChatRole"];
        };
        /** MessageIn */
        MessageIn: {
            /** Headers */
            headers?: {
                [key: string]: string;
            } | null;
            /** Key */
            key?: string | null;
            /** Partition */
            partition?: number | null;
            /**
             * Value
             * @description Any JSON value
             */
            value: unknown;
        };
        /**
         * MessageOut
         * @example {
         *       "author": "ada",
         *       "created_at": "2026-12-04T10:01:00Z",
         *       "edited_at": null,
         *       "group_id": "0e71192c-aaf0-45e6-a7d5-678158feb53d",
         *       "id": 1,
         *       "message": "hello",
         *       "user_id": "3f1c9b2e-8a4d-4e6f-9b1a-2c3d4e5f6a7b"
         *     }
         */
        MessageOut: {
            /** Author */
            author: string | null;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Edited At */
            edited_at: string | null;
            /**
             * Group Id
             * Format: uuid
             */
            group_id: string;
            /** Id */
            id: number;
            /** Message */
            message: string;
            /** User Id */
            user_id: string | null;
        };
        /**
         * MessagePage
         * @example {
         *       "messages": [
         *         {
         *           "headers": {
         *             "source": "checkout"
         *           },
         *           "key": "customer-7",
         *           "offset": 41,
         *           "partition": 0,
         *           "size": 36,
         *           "timestamp": "2026-12-04T09:40:00.120Z",
         *           "value": {
         *             "order_id": 1043,
         *             "status": "paid"
         *           }
         *         }
         *       ],
         *       "next": "0:42"
         *     }
         */
        MessagePage: {
            /** Messages */
            messages: components["schemas"]["BrowsedMessage"][];
            /**
             * Next
             * @description A cursor for the next page (same format as stream cursors), or null at the end. For order=asc it is a stream cursor: /stream?cursor=<next> continues live from there.
             */
            next: string | null;
        };
        /** Meter */
        Meter: {
            /** Limit */
            limit: number | null;
            /** Percentage */
            percentage: number | null;
            /** Remaining */
            remaining: number | null;
            /** Used */
            used: number;
            /** Warning */
            warning: boolean;
        };
        /**
         * MeUpdate
         * @example {
         *       "current_password": "correct horse battery",
         *       "password": "a new long passphrase"
         *     }
         * @example {
         *       "current_password": "correct horse battery staple",
         *       "email": "ada@example.org"
         *     }
         */
        MeUpdate: {
            /** Current Password */
            current_password?: string | null;
            /** Email */
            email?: string | null;
            /** Password */
            password?: string | null;
        };
        /**
         * MeUpdated
         * @description The user; after a password change also this session's fresh tokens (every other
         *     session has ended), under the same names as ``TokenOut``.
         * @example {
         *       "created_at": "2026-12-04T09:30:00Z",
         *       "email": "ada@example.org",
         *       "id": "3f1c9b2e-8a4d-4e6f-9b1a-2c3d4e5f6a7b",
         *       "is_active": true,
         *       "is_platform_admin": false,
         *       "role": "owner",
         *       "tenant_id": "7d2e4c1a-5b6f-4a8e-9c0d-1e2f3a4b5c6d",
         *       "username": "ada"
         *     }
         * @example {
         *       "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIzZjFjOWIyZSJ9.c2lnbmF0dXJl",
         *       "created_at": "2026-12-04T09:30:00Z",
         *       "email": "ada@example.com",
         *       "expires_in": 900,
         *       "id": "3f1c9b2e-8a4d-4e6f-9b1a-2c3d4e5f6a7b",
         *       "is_active": true,
         *       "is_platform_admin": false,
         *       "refresh_token": "thr_9xY2bQ7LmN4pR8sT1vW6zA3cD5eF0gH",
         *       "role": "owner",
         *       "tenant_id": "7d2e4c1a-5b6f-4a8e-9c0d-1e2f3a4b5c6d",
         *       "token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIzZjFjOWIyZSJ9.c2lnbmF0dXJl",
         *       "token_type": "bearer",
         *       "username": "ada"
         *     }
         */
        MeUpdated: {
            /** Access Token */
            access_token?: string | null;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Email */
            email: string | null;
            /** Expires In */
            expires_in?: number | null;
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Is Active */
            is_active: boolean;
            /** Is Platform Admin */
            is_platform_admin: boolean;
            /** Refresh Token */
            refresh_token?: string | null;
            /** Role */
            role?: string | null;
            /** Tenant Id */
            tenant_id?: string | null;
            /** Token */
            token?: string | null;
            /** Token Type */
            token_type?: string | null;
            /** Username */
            username: string | null;
        };
        /** MinuteOut */
        MinuteOut: {
            /** Messages In */
            messages_in: number;
            /** Messages Out */
            messages_out: number;
            /**
             * Minute
             * Format: date-time
             */
            minute: string;
            /** Requests */
            requests: number;
        };
        /**
         * Nacked
         * @example {
         *       "attempts": 1,
         *       "dead_letter_topic": null,
         *       "dead_lettered": false,
         *       "offset": 41,
         *       "partition": 0,
         *       "redeliver_after": "2026-12-04T10:20:01Z"
         *     }
         * @example {
         *       "attempts": 5,
         *       "dead_letter_topic": "orders.dlq",
         *       "dead_lettered": true,
         *       "offset": 41,
         *       "partition": 0,
         *       "redeliver_after": null
         *     }
         */
        Nacked: {
            /** Attempts */
            attempts: number;
            /** Dead Letter Topic */
            dead_letter_topic: string | null;
            /** Dead Lettered */
            dead_lettered: boolean;
            /** Offset */
            offset: number;
            /** Partition */
            partition: number;
            /** Redeliver After */
            redeliver_after: string | null;
        };
        /**
         * NackIn
         * @example {
         *       "cursor": "0:41",
         *       "member": "worker-1",
         *       "reason": "payment API timed out"
         *     }
         */
        NackIn: {
            /**
             * Cursor
             * @description The cursor of the one record to redeliver
             */
            cursor: string;
            /** Member */
            member?: string | null;
            /**
             * Reason
             * @description Why; carried in the dead letter's x-dlq-reason header
             */
            reason?: string | null;
        };
        /**
         * OperandsIn
         * @description ``POST /math/{operation}``: ``a`` and ``b``, or ``n`` for factorial and fibonacci.
         *     JSON numbers or numeric strings; integers stay exact.
         * @example {
         *       "a": 2,
         *       "b": 3
         *     }
         * @example {
         *       "n": 10
         *     }
         */
        OperandsIn: {
            /** A */
            a?: unknown;
            /** B */
            b?: unknown;
            /** N */
            n?: unknown;
        };
        /** PartitionOut */
        PartitionOut: {
            /** Committed Offset */
            committed_offset: number;
            /** End Offset */
            end_offset: number;
            /** Lag */
            lag: number;
            /** Lease Expires At */
            lease_expires_at: string | null;
            /** Member */
            member: string | null;
            /** Partition */
            partition: number;
            /** Paused Until */
            paused_until: string | null;
        };
        /** PartitionStatsOut */
        PartitionStatsOut: {
            /** Earliest Offset */
            earliest_offset: number;
            /**
             * Messages
             * @description next_offset - earliest_offset
             */
            messages: number;
            /** Next Offset */
            next_offset: number;
            /** Partition */
            partition: number;
        };
        /**
         * Permission
         * @description Ordered: ``admin`` includes ``write``, which includes ``read``.
         * @enum {string}
         */
        Permission: "read" | "write" | "admin";
        /**
         * PollIn
         * @example {
         *       "max": 100,
         *       "member": "worker-1",
         *       "wait_ms": 5000
         *     }
         */
        PollIn: {
            /**
             * Max
             * @default 100
             */
            max: number;
            /**
             * Member
             * @description This worker's id; generated (and returned) when absent
             */
            member?: string | null;
            /**
             * Wait Ms
             * @description Wait up to this long for a record when none is ready
             * @default 0
             */
            wait_ms: number;
        };
        /**
         * PollOut
         * @example {
         *       "cursor": "0:42",
         *       "lease_expires_at": "2026-12-04T10:20:30Z",
         *       "member": "worker-1",
         *       "partitions": [
         *         0,
         *         1
         *       ],
         *       "records": [
         *         {
         *           "attempt": 1,
         *           "cursor": "0:42",
         *           "headers": {},
         *           "key": "customer-7",
         *           "offset": 41,
         *           "partition": 0,
         *           "timestamp": "2026-12-04T09:40:00.120Z",
         *           "value": {
         *             "order_id": 1043,
         *             "status": "paid"
         *           }
         *         }
         *       ]
         *     }
         */
        PollOut: {
            /**
             * Cursor
             * @description Commit it to mark the whole batch handled
             */
            cursor: string | null;
            /** Lease Expires At */
            lease_expires_at: string | null;
            /** Member */
            member: string;
            /**
             * Partitions
             * @description Partitions leased to this member now
             */
            partitions: number[];
            /** Records */
            records: components["schemas"]["GroupRecord"][];
        };
        /** ProcessOut */
        ProcessOut: {
            /** Open Streams */
            open_streams: number;
            /** Process Id */
            process_id: string;
            /** This Process */
            this_process: boolean;
        };
        /**
         * ProjectCreate
         * @example {
         *       "description": "Order events of the checkout service",
         *       "name": "checkout"
         *     }
         */
        ProjectCreate: {
            /** Description */
            description?: string | null;
            /** Name */
            name: string;
        };
        /**
         * ProjectOut
         * @example {
         *       "created_at": "2026-12-04T09:30:00Z",
         *       "description": "Order events of the checkout service",
         *       "id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
         *       "is_default": false,
         *       "name": "checkout",
         *       "tenant_id": "7d2e4c1a-5b6f-4a8e-9c0d-1e2f3a4b5c6d",
         *       "updated_at": "2026-12-04T09:30:00Z"
         *     }
         */
        ProjectOut: {
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Description */
            description: string | null;
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Is Default */
            is_default: boolean;
            /** Name */
            name: string;
            /**
             * Tenant Id
             * Format: uuid
             */
            tenant_id: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
        };
        /**
         * ProjectsUsageOut
         * @example {
         *       "date": "2026-12-04",
         *       "projects": [
         *         {
         *           "bytes_in": {
         *             "limit": 104857600,
         *             "percentage": 1,
         *             "remaining": 103809024,
         *             "used": 1048576,
         *             "warning": false
         *           },
         *           "bytes_out": {
         *             "limit": null,
         *             "percentage": null,
         *             "remaining": null,
         *             "used": 40960,
         *             "warning": false
         *           },
         *           "date": "2026-12-04",
         *           "messages_in": {
         *             "limit": 10000,
         *             "percentage": 82,
         *             "remaining": 1800,
         *             "used": 8200,
         *             "warning": true
         *           },
         *           "messages_out": {
         *             "limit": null,
         *             "percentage": null,
         *             "remaining": null,
         *             "used": 120,
         *             "warning": false
         *           },
         *           "name": "checkout",
         *           "project_id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
         *           "warnings": [
         *             "82% of today's messages in quota used (8200 of 10000)"
         *           ]
         *         }
         *       ]
         *     }
         */
        ProjectsUsageOut: {
            /**
             * Date
             * Format: date
             */
            date: string;
            /** Projects */
            projects: components["schemas"]["ProjectUsageOut"][];
        };
        /**
         * ProjectUpdate
         * @example {
         *       "description": "Orders and refunds"
         *     }
         */
        ProjectUpdate: {
            /** Description */
            description?: string | null;
            /** Name */
            name?: string | null;
        };
        /** ProjectUsageOut */
        ProjectUsageOut: {
            bytes_in: components["schemas"]["Meter"];
            bytes_out: components["schemas"]["Meter"];
            /**
             * Date
             * Format: date
             */
            date: string;
            messages_in: components["schemas"]["Meter"];
            messages_out: components["schemas"]["Meter"];
            /** Name */
            name: string;
            /** Project Id */
            project_id: string;
            /** Warnings */
            warnings: string[];
        };
        /** PublishedMessage */
        PublishedMessage: {
            /** Index */
            index: number;
            /** Offset */
            offset: number;
            /** Partition */
            partition: number;
            /**
             * Timestamp
             * Format: date-time
             */
            timestamp: string;
        };
        /**
         * PublishIn
         * @example {
         *       "messages": [
         *         {
         *           "value": {
         *             "order_id": 1042,
         *             "total": 25.5
         *           }
         *         }
         *       ]
         *     }
         * @example {
         *       "messages": [
         *         {
         *           "headers": {
         *             "source": "checkout"
         *           },
         *           "key": "customer-7",
         *           "value": {
         *             "order_id": 1043,
         *             "status": "paid"
         *           }
         *         },
         *         {
         *           "partition": 0,
         *           "value": "plain text is JSON too"
         *         }
         *       ]
         *     }
         */
        PublishIn: {
            /** Messages */
            messages: components["schemas"]["MessageIn"][];
        };
        /**
         * PublishOut
         * @example {
         *       "count": 2,
         *       "messages": [
         *         {
         *           "index": 0,
         *           "offset": 41,
         *           "partition": 1,
         *           "timestamp": "2026-12-04T09:40:00.120Z"
         *         },
         *         {
         *           "index": 1,
         *           "offset": 17,
         *           "partition": 0,
         *           "timestamp": "2026-12-04T09:40:00.120Z"
         *         }
         *       ],
         *       "topic": "orders"
         *     }
         */
        PublishOut: {
            /** Count */
            count: number;
            /** Messages */
            messages: components["schemas"]["PublishedMessage"][];
            /** Topic */
            topic: string;
        };
        /** QuotasIn */
        QuotasIn: {
            /** Bytes Per Day */
            bytes_per_day?: number | null;
            /** Max Streams Per User */
            max_streams_per_user?: number | null;
            /** Messages Per Day */
            messages_per_day?: number | null;
            /** Project Bytes Per Day */
            project_bytes_per_day?: number | null;
            /** Project Messages Per Day */
            project_messages_per_day?: number | null;
            /** Tenant Bytes Per Day */
            tenant_bytes_per_day?: number | null;
            /** Tenant Messages Per Day */
            tenant_messages_per_day?: number | null;
        };
        /** RateLimitsIn */
        RateLimitsIn: {
            /** Per Day */
            per_day?: number | null;
            /** Per Hour */
            per_hour?: number | null;
            /** Per Minute */
            per_minute?: number | null;
        };
        /** RatesOut */
        RatesOut: {
            /**
             * Messages In
             * @description Messages stored in the window
             */
            messages_in: number;
            /**
             * Messages Out
             * @description Messages delivered to streams in the window
             */
            messages_out: number;
            /**
             * Minutes
             * @description Oldest first; the last is the current minute
             */
            minutes: components["schemas"]["MinuteOut"][];
            /**
             * Requests
             * @description Requests answered in the window
             */
            requests: number;
            /**
             * Scope
             * @default this process
             * @constant
             */
            scope: "this process";
            /**
             * Since
             * @description Figures start after this minute
             */
            since: string | null;
        };
        /** RecommendationItem */
        RecommendationItem: {
            /** Category */
            category: string | null;
            /** Item Id */
            item_id: string;
            /** Score */
            score: number;
            /** Tags */
            tags: string[];
            /** Title */
            title: string;
        };
        /** RecommendationMetadata */
        RecommendationMetadata: {
            /** Catalog Size */
            catalog_size: number;
            /** Latency Ms */
            latency_ms: number;
            /** Model Version */
            model_version: string;
            /**
             * Strategy
             * @enum {string}
             */
            strategy: "personalized" | "popular";
        };
        /**
         * RecommendationRequest
         * @example {
         *       "count": 5,
         *       "user_id": "u-7"
         *     }
         * @example {
         *       "count": 3,
         *       "filters": {
         *         "category": [
         *           "books"
         *         ],
         *         "min_score": 0.2
         *       },
         *       "user_id": "u-7"
         *     }
         */
        RecommendationRequest: {
            /**
             * Context
             * @description Accepted for compatibility; not used by the model.
             */
            context?: {
                [key: string]: unknown;
            } | null;
            /**
             * Count
             * @default 10
             */
            count: number;
            filters?: components["schemas"]["Filters"] | null;
            /** User Id */
            user_id: string;
        };
        /**
         * RecommendationResponse
         * @example {
         *       "metadata": {
         *         "catalog_size": 250,
         *         "latency_ms": 3.2,
         *         "model_version": "hybrid-v1.r118",
         *         "strategy": "personalized"
         *       },
         *       "recommendations": [
         *         {
         *           "category": "books",
         *           "item_id": "book-43",
         *           "score": 0.87,
         *           "tags": [
         *             "software"
         *           ],
         *           "title": "Refactoring"
         *         }
         *       ]
         *     }
         */
        RecommendationResponse: {
            metadata: components["schemas"]["RecommendationMetadata"];
            /** Recommendations */
            recommendations: components["schemas"]["RecommendationItem"][];
        };
        /** RedisOut */
        RedisOut: {
            /** Error */
            error?: string | null;
            /**
             * Latency Ms
             * @description How long the probe took
             */
            latency_ms: number | null;
            /**
             * Status
             * @description ok, down, or off (not configured)
             * @enum {string}
             */
            status: "ok" | "down" | "off";
        };
        /**
         * RefreshIn
         * @example {
         *       "refresh_token": "thr_9xY2bQ7LmN4pR8sT1vW6zA3cD5eF0gH"
         *     }
         */
        RefreshIn: {
            /** Refresh Token */
            refresh_token: string;
        };
        /**
         * RegisterIn
         * @description Seed 004's ``/register``: a username, an email, or both.
         * @example {
         *       "confirm_password": "correct horse battery staple",
         *       "email": "ada@example.com",
         *       "password": "correct horse battery staple",
         *       "username": "ada"
         *     }
         */
        RegisterIn: {
            /** Confirm Password */
            confirm_password?: string | null;
            /** Email */
            email?: string | null;
            /** Password */
            password: string;
            /** Username */
            username?: string | null;
        };
        /**
         * ResetIn
         * @example {
         *       "to": "earliest"
         *     }
         * @example {
         *       "time": "2026-12-04T09:00:00Z",
         *       "to": "time"
         *     }
         */
        ResetIn: {
            /**
             * Cursor
             * @description For to=cursor
             */
            cursor?: string | null;
            /**
             * Time
             * @description For to=time: ISO-8601 with zone
             */
            time?: string | null;
            /**
             * To
             * @enum {string}
             */
            to: "earliest" | "latest" | "time" | "cursor";
        };
        /**
         * RootOut
         * @example {
         *       "console": "/",
         *       "docs": "/docs",
         *       "name": "topichub",
         *       "status": "topichub running",
         *       "version": "0.1.0"
         *     }
         */
        RootOut: {
            /**
             * Console
             * @default /
             */
            console: string;
            /**
             * Docs
             * @default /docs
             */
            docs: string;
            /** Name */
            name: string;
            /** Status */
            status: string;
            /** Version */
            version: string;
        };
        /**
         * SchemaCheckIn
         * @example {
         *       "values": [
         *         {
         *           "order_id": 1042,
         *           "total": 25.5
         *         },
         *         {
         *           "total": -1
         *         }
         *       ]
         *     }
         * @example {
         *       "schema": {
         *         "properties": {
         *           "order_id": {
         *             "type": "integer"
         *           },
         *           "total": {
         *             "minimum": 0,
         *             "type": "number"
         *           }
         *         },
         *         "required": [
         *           "order_id"
         *         ],
         *         "type": "object"
         *       },
         *       "values": [
         *         {
         *           "order_id": 1042
         *         }
         *       ]
         *     }
         */
        SchemaCheckIn: {
            /**
             * Schema
             * @description A schema to try; the topic's active one when omitted
             */
            schema?: ({
                [key: string]: unknown;
            } | boolean) | null;
            /**
             * Values
             * @description Message values to check (at most 100)
             */
            values?: unknown[];
        };
        /**
         * SchemaCheckOut
         * @example {
         *       "compatible": null,
         *       "failures": [
         *         {
         *           "index": 1,
         *           "pointer": "",
         *           "reason": "\"order_id\" is a required property",
         *           "schema_pointer": "/required"
         *         },
         *         {
         *           "index": 1,
         *           "pointer": "/total",
         *           "reason": "-1 is less than the minimum of 0",
         *           "schema_pointer": "/properties/total/minimum"
         *         }
         *       ],
         *       "incompatibilities": [],
         *       "valid": false,
         *       "version": 2
         *     }
         */
        SchemaCheckOut: {
            /**
             * Compatible
             * @description For a tried schema: whether it can replace the active one without ?force=true (null when the topic has no schema)
             */
            compatible: boolean | null;
            /** Failures */
            failures: components["schemas"]["SchemaFailure"][];
            /** Incompatibilities */
            incompatibilities: string[];
            /**
             * Valid
             * @description Every value validates
             */
            valid: boolean;
            /**
             * Version
             * @description The version checked against (null for a tried one)
             */
            version: number | null;
        };
        /** SchemaFailure */
        SchemaFailure: {
            /** Index */
            index: number;
            /**
             * Pointer
             * @description JSON pointer into the value
             */
            pointer: string;
            /** Reason */
            reason: string;
            /**
             * Schema Pointer
             * @description JSON pointer to the failing keyword in the schema
             */
            schema_pointer: string;
        };
        /**
         * SchemaIn
         * @example {
         *       "schema": {
         *         "properties": {
         *           "order_id": {
         *             "type": "integer"
         *           },
         *           "total": {
         *             "minimum": 0,
         *             "type": "number"
         *           }
         *         },
         *         "required": [
         *           "order_id"
         *         ],
         *         "type": "object"
         *       }
         *     }
         */
        SchemaIn: {
            /**
             * Schema
             * @description A JSON Schema, draft 2020-12 (an object, or true/false)
             */
            schema: {
                [key: string]: unknown;
            } | boolean;
        };
        /**
         * SchemaOut
         * @example {
         *       "active": true,
         *       "created_at": "2026-12-04T10:10:00Z",
         *       "forced": false,
         *       "schema": {
         *         "properties": {
         *           "order_id": {
         *             "type": "integer"
         *           },
         *           "total": {
         *             "minimum": 0,
         *             "type": "number"
         *           }
         *         },
         *         "required": [
         *           "order_id"
         *         ],
         *         "type": "object"
         *       },
         *       "topic": "orders",
         *       "version": 2
         *     }
         */
        SchemaOut: {
            /**
             * Active
             * @description Whether publishes are checked against this version now
             */
            active: boolean;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Forced
             * @description Set with ?force=true over a version it may not accept all of
             */
            forced: boolean;
            /**
             * Schema
             * @description A JSON Schema, draft 2020-12 (an object, or true/false)
             */
            schema: {
                [key: string]: unknown;
            } | boolean;
            /** Topic */
            topic: string;
            /**
             * Version
             * @description Stored messages name it in their topichub-schema-version
             */
            version: number;
        };
        /**
         * SchemaVersions
         * @example {
         *       "active_version": 2,
         *       "topic": "orders",
         *       "versions": [
         *         {
         *           "active": true,
         *           "created_at": "2026-12-04T10:10:00Z",
         *           "forced": false,
         *           "schema": {
         *             "properties": {
         *               "order_id": {
         *                 "type": "integer"
         *               },
         *               "total": {
         *                 "minimum": 0,
         *                 "type": "number"
         *               }
         *             },
         *             "required": [
         *               "order_id"
         *             ],
         *             "type": "object"
         *           },
         *           "topic": "orders",
         *           "version": 2
         *         },
         *         {
         *           "active": false,
         *           "created_at": "2026-12-04T10:00:00Z",
         *           "forced": false,
         *           "schema": {
         *             "type": "object"
         *           },
         *           "topic": "orders",
         *           "version": 1
         *         }
         *       ]
         *     }
         */
        SchemaVersions: {
            /** Active Version */
            active_version: number | null;
            /** Topic */
            topic: string;
            /**
             * Versions
             * @description Newest first
             */
            versions: components["schemas"]["SchemaOut"][];
        };
        /**
         * SendMessageIn
         * @description Seed 002's body. ``user_id`` is optional and, when given, must be the caller's
         *     own id: messages are always sent as the authenticated user.
         * @example {
         *       "group_id": "0e71192c-aaf0-45e6-a7d5-678158feb53d",
         *       "message": "hello"
         *     }
         */
        SendMessageIn: {
            /**
             * Group Id
             * Format: uuid
             */
            group_id: string;
            /** Message */
            message: string;
            /**
             * User Id
             * @description Optional; must be your own user id
             */
            user_id?: unknown;
        };
        /**
         * SignupIn
         * @example {
         *       "email": "ada@example.com",
         *       "password": "correct horse battery staple"
         *     }
         * @example {
         *       "email": "ada@example.com",
         *       "password": "correct horse battery",
         *       "username": "ada"
         *     }
         */
        SignupIn: {
            /**
             * Email
             * Format: email
             */
            email: string;
            /** Password */
            password: string;
            /** Username */
            username?: string | null;
        };
        /**
         * StreamTicketOut
         * @example {
         *       "expires_in": 60,
         *       "ticket": "tkt_Vb3Nq8Zr1Lx5Wc9Hd2Kf7Mt4"
         *     }
         */
        StreamTicketOut: {
            /** Expires In */
            expires_in: number;
            /** Ticket */
            ticket: string;
        };
        /**
         * TenantCreate
         * @example {
         *       "name": "Acme",
         *       "owner_email": "ops@acme.example",
         *       "plan": "pro",
         *       "rate_limits": {
         *         "per_minute": 600
         *       }
         *     }
         */
        TenantCreate: {
            /** Name */
            name: string;
            /** Owner Email */
            owner_email?: string | null;
            /**
             * Plan
             * @default free
             */
            plan: string;
            quotas?: components["schemas"]["QuotasIn"] | null;
            rate_limits?: components["schemas"]["RateLimitsIn"] | null;
        };
        /**
         * TenantOut
         * @example {
         *       "created_at": "2026-12-01T08:00:00Z",
         *       "effective": {
         *         "max_streams_per_user": 2,
         *         "quotas": {
         *           "bytes_per_day": 1073741824,
         *           "messages_per_day": 100000,
         *           "project_bytes_per_day": null,
         *           "project_messages_per_day": null,
         *           "tenant_bytes_per_day": null,
         *           "tenant_messages_per_day": null
         *         },
         *         "rate_limits": {
         *           "per_day": null,
         *           "per_hour": null,
         *           "per_minute": 600
         *         }
         *       },
         *       "id": "7d2e4c1a-5b6f-4a8e-9c0d-1e2f3a4b5c6d",
         *       "is_active": true,
         *       "members": 3,
         *       "name": "Acme",
         *       "plan": "pro",
         *       "quotas": null,
         *       "rate_limits": {
         *         "per_minute": 600
         *       },
         *       "updated_at": "2026-12-04T09:00:00Z"
         *     }
         */
        TenantOut: {
            /** Created At */
            created_at: unknown;
            effective: components["schemas"]["EffectiveLimits"];
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Is Active */
            is_active: boolean;
            /** Members */
            members: number;
            /** Name */
            name: string;
            /** Plan */
            plan: string;
            /** Quotas */
            quotas: {
                [key: string]: unknown;
            } | null;
            /** Rate Limits */
            rate_limits: {
                [key: string]: unknown;
            } | null;
            /** Updated At */
            updated_at: unknown;
        };
        /**
         * TenantPage
         * @example {
         *       "tenants": [
         *         {
         *           "created_at": "2026-12-01T08:00:00Z",
         *           "effective": {
         *             "max_streams_per_user": 2,
         *             "quotas": {
         *               "bytes_per_day": 1073741824,
         *               "messages_per_day": 100000,
         *               "project_bytes_per_day": null,
         *               "project_messages_per_day": null,
         *               "tenant_bytes_per_day": null,
         *               "tenant_messages_per_day": null
         *             },
         *             "rate_limits": {
         *               "per_day": null,
         *               "per_hour": null,
         *               "per_minute": 600
         *             }
         *           },
         *           "id": "7d2e4c1a-5b6f-4a8e-9c0d-1e2f3a4b5c6d",
         *           "is_active": true,
         *           "members": 3,
         *           "name": "Acme",
         *           "plan": "pro",
         *           "quotas": null,
         *           "rate_limits": {
         *             "per_minute": 600
         *           },
         *           "updated_at": "2026-12-04T09:00:00Z"
         *         }
         *       ],
         *       "total": 1
         *     }
         */
        TenantPage: {
            /** Tenants */
            tenants: components["schemas"]["TenantOut"][];
            /** Total */
            total: number;
        };
        /**
         * TenantUpdate
         * @description PUT and PATCH: fields left out are unchanged; ``rate_limits``/``quotas`` set to
         *     ``null`` go back to the plan's defaults.
         * @example {
         *       "plan": "pro",
         *       "quotas": {
         *         "messages_per_day": 100000
         *       }
         *     }
         * @example {
         *       "is_active": false
         *     }
         * @example {
         *       "rate_limits": null
         *     }
         */
        TenantUpdate: {
            /** Is Active */
            is_active?: boolean | null;
            /** Name */
            name?: string | null;
            /** Plan */
            plan?: string | null;
            quotas?: components["schemas"]["QuotasIn"] | null;
            rate_limits?: components["schemas"]["RateLimitsIn"] | null;
        };
        /**
         * TodoIn
         * @description A whole todo: the body of ``POST`` and of ``PUT`` (full replace: what is left out
         *     gets its default). Unknown fields, such as an ``id`` echoed back, are ignored.
         * @example {
         *       "description": "Every operation gets an example",
         *       "title": "write docs"
         *     }
         * @example {
         *       "completed": true,
         *       "title": "write docs"
         *     }
         */
        TodoIn: {
            /**
             * Completed
             * @default false
             */
            completed: boolean;
            /** Description */
            description?: string | null;
            /** Title */
            title: string;
        };
        /**
         * TodoOut
         * @example {
         *       "completed": false,
         *       "created_at": "2026-12-04T09:50:00Z",
         *       "description": "Every operation gets an example",
         *       "id": 17,
         *       "title": "write docs",
         *       "updated_at": "2026-12-04T09:50:00Z"
         *     }
         */
        TodoOut: {
            /** Completed */
            completed: boolean;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Description */
            description: string | null;
            /** Id */
            id: number;
            /** Title */
            title: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
        };
        /**
         * TodoPatch
         * @description A partial update: only the fields given change.
         * @example {
         *       "completed": true
         *     }
         * @example {
         *       "description": null
         *     }
         */
        TodoPatch: {
            /** Completed */
            completed?: boolean | null;
            /** Description */
            description?: string | null;
            /** Title */
            title?: string | null;
        };
        /**
         * TokenOut
         * @description Carries every field any seed's client reads: ``access_token`` is the canonical name,
         *     ``token`` the same value under seed 000's name.
         * @example {
         *       "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIzZjFjOWIyZSJ9.c2lnbmF0dXJl",
         *       "expires_in": 900,
         *       "refresh_token": "thr_9xY2bQ7LmN4pR8sT1vW6zA3cD5eF0gH",
         *       "token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIzZjFjOWIyZSJ9.c2lnbmF0dXJl",
         *       "token_type": "bearer",
         *       "user": {
         *         "created_at": "2026-12-04T09:30:00Z",
         *         "email": "ada@example.com",
         *         "id": "3f1c9b2e-8a4d-4e6f-9b1a-2c3d4e5f6a7b",
         *         "is_active": true,
         *         "is_platform_admin": false,
         *         "role": "owner",
         *         "tenant_id": "7d2e4c1a-5b6f-4a8e-9c0d-1e2f3a4b5c6d",
         *         "username": "ada"
         *       }
         *     }
         */
        TokenOut: {
            /**
             * Access Token
             * @description A short-lived JWT: `Authorization: Bearer <it>`.
             */
            access_token: string;
            /** Expires In */
            expires_in: number;
            /** Refresh Token */
            refresh_token: string;
            /**
             * Token
             * @description Alias of `access_token` (seed 000's clients read this).
             */
            token: string;
            /**
             * Token Type
             * @default bearer
             */
            token_type: string;
            user: components["schemas"]["UserOut"];
        };
        /**
         * TopicCreate
         * @example {
         *       "name": "orders",
         *       "partitions": 3,
         *       "retention_hours": 168
         *     }
         * @example {
         *       "name": "clicks"
         *     }
         */
        TopicCreate: {
            /** Name */
            name: string;
            /** @description Where keyed messages go: `murmur2` (the default) agrees with Kafka's Java client, `consistent_random` (CRC32) with librdkafka producers' default */
            partitioner?: components["schemas"]["KeyHash"] | null;
            /**
             * Partitions
             * @default 1
             */
            partitions: number;
            /** Retention Bytes */
            retention_bytes?: number | null;
            /** Retention Hours */
            retention_hours?: number | null;
        };
        /**
         * TopicHeadline
         * @description A topic's headline figures, for a list (the full set: ``GET /topics/{name}/stats``).
         */
        TopicHeadline: {
            /** Bytes Last Minute */
            bytes_last_minute: number;
            /**
             * Bytes Retained
             * @description null on Kafka
             */
            bytes_retained: number | null;
            /** Last Message At */
            last_message_at: string | null;
            /**
             * Messages Last Minute
             * @description Messages published in the last 60 s
             */
            messages_last_minute: number;
            /** Messages Retained */
            messages_retained: number;
        };
        /**
         * GroupList
         * @example {
         *       "groups": [
         *         {
         *           "created_at": "2026-12-04T10:00:00Z",
         *           "id": "0e71192c-aaf0-45e6-a7d5-678158feb53d",
         *           "name": "team",
         *           "role": "admin"
         *         }
         *       ]
         *     }
         */
        topichub__chat__schemas__GroupList: {
            /** Groups */
            groups: components["schemas"]["topichub__chat__schemas__GroupOut"][];
        };
        /**
         * GroupOut
         * @example {
         *       "created_at": "2026-12-04T10:00:00Z",
         *       "id": "0e71192c-aaf0-45e6-a7d5-678158feb53d",
         *       "name": "team",
         *       "role": "admin"
         *     }
         */
        topichub__chat__schemas__GroupOut: {
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Name */
            name: string;
            role: components["schemas"]["ChatRole"];
        };
        /**
         * MemberOut
         * @example {
         *       "email": "grace@example.com",
         *       "joined_at": "2026-12-04T10:02:00Z",
         *       "role": "member",
         *       "user_id": "0c095392-4c2c-43c7-ad50-e5102a3050f9",
         *       "username": null
         *     }
         */
        topichub__chat__schemas__MemberOut: {
            /** Email */
            email: string | null;
            /**
             * Joined At
             * Format: date-time
             */
            joined_at: string;
            role: components["schemas"]["ChatRole"];
            /**
             * User Id
             * Format: uuid
             */
            user_id: string;
            /** Username */
            username: string | null;
        };
        /**
         * GroupList
         * @example {
         *       "groups": [
         *         {
         *           "created_at": "2026-12-04T10:00:00Z",
         *           "lag": 3,
         *           "lease_s": 30,
         *           "max_attempts": 5,
         *           "members": [
         *             {
         *               "last_seen_at": "2026-12-04T10:20:00Z",
         *               "member": "worker-1",
         *               "partitions": [
         *                 0,
         *                 1
         *               ]
         *             }
         *           ],
         *           "name": "billing",
         *           "partitions": [
         *             {
         *               "committed_offset": 40,
         *               "end_offset": 42,
         *               "lag": 2,
         *               "lease_expires_at": "2026-12-04T10:20:30Z",
         *               "member": "worker-1",
         *               "partition": 0,
         *               "paused_until": null
         *             },
         *             {
         *               "committed_offset": 16,
         *               "end_offset": 17,
         *               "lag": 1,
         *               "lease_expires_at": "2026-12-04T10:20:30Z",
         *               "member": "worker-1",
         *               "partition": 1,
         *               "paused_until": null
         *             }
         *           ],
         *           "retry_delay_ms": 1000,
         *           "topic": "orders"
         *         }
         *       ]
         *     }
         */
        topichub__groups__schemas__GroupList: {
            /** Groups */
            groups: components["schemas"]["topichub__groups__schemas__GroupOut"][];
        };
        /**
         * GroupOut
         * @example {
         *       "created_at": "2026-12-04T10:00:00Z",
         *       "lag": 3,
         *       "lease_s": 30,
         *       "max_attempts": 5,
         *       "members": [
         *         {
         *           "last_seen_at": "2026-12-04T10:20:00Z",
         *           "member": "worker-1",
         *           "partitions": [
         *             0,
         *             1
         *           ]
         *         }
         *       ],
         *       "name": "billing",
         *       "partitions": [
         *         {
         *           "committed_offset": 40,
         *           "end_offset": 42,
         *           "lag": 2,
         *           "lease_expires_at": "2026-12-04T10:20:30Z",
         *           "member": "worker-1",
         *           "partition": 0,
         *           "paused_until": null
         *         },
         *         {
         *           "committed_offset": 16,
         *           "end_offset": 17,
         *           "lag": 1,
         *           "lease_expires_at": "2026-12-04T10:20:30Z",
         *           "member": "worker-1",
         *           "partition": 1,
         *           "paused_until": null
         *         }
         *       ],
         *       "retry_delay_ms": 1000,
         *       "topic": "orders"
         *     }
         */
        topichub__groups__schemas__GroupOut: {
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Lag */
            lag: number;
            /** Lease S */
            lease_s: number;
            /** Max Attempts */
            max_attempts: number;
            /** Members */
            members: components["schemas"]["topichub__groups__schemas__MemberOut"][];
            /** Name */
            name: string;
            /** Partitions */
            partitions: components["schemas"]["PartitionOut"][];
            /** Retry Delay Ms */
            retry_delay_ms: number;
            /** Topic */
            topic: string;
        };
        /** MemberOut */
        topichub__groups__schemas__MemberOut: {
            /**
             * Last Seen At
             * Format: date-time
             */
            last_seen_at: string;
            /** Member */
            member: string;
            /** Partitions */
            partitions: number[];
        };
        /**
         * TopicList
         * @example {
         *       "topics": [
         *         {
         *           "created_at": "2026-12-04T09:32:00Z",
         *           "id": "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
         *           "kafka_topic_name": "th.t.0b1c2d3e4f5a4b6c8d7e9f0a1b2c3d4e",
         *           "kind": "user",
         *           "name": "orders",
         *           "partitioner": "murmur2",
         *           "partitions": 3,
         *           "project_id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
         *           "retention_bytes": null,
         *           "retention_hours": 168,
         *           "schema_version": 2,
         *           "stats": {
         *             "bytes_last_minute": 108,
         *             "bytes_retained": 1510,
         *             "last_message_at": "2026-12-04T09:40:00.120Z",
         *             "messages_last_minute": 3,
         *             "messages_retained": 42
         *           }
         *         }
         *       ]
         *     }
         */
        TopicList: {
            /** Topics */
            topics: components["schemas"]["TopicOut"][];
        };
        /**
         * TopicOut
         * @example {
         *       "created_at": "2026-12-04T09:32:00Z",
         *       "id": "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
         *       "kafka_topic_name": "th.t.0b1c2d3e4f5a4b6c8d7e9f0a1b2c3d4e",
         *       "kind": "user",
         *       "name": "orders",
         *       "partitioner": "murmur2",
         *       "partitions": 3,
         *       "project_id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
         *       "retention_bytes": null,
         *       "retention_hours": 168,
         *       "schema_version": 2,
         *       "stats": {
         *         "bytes_last_minute": 108,
         *         "bytes_retained": 1510,
         *         "last_message_at": "2026-12-04T09:40:00.120Z",
         *         "messages_last_minute": 3,
         *         "messages_retained": 42
         *       }
         *     }
         */
        TopicOut: {
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /**
             * Kafka Topic Name
             * @description The topic's name in Kafka, for Kafka clients (null on the embedded log)
             */
            kafka_topic_name: string | null;
            /** Kind */
            kind: string;
            /** Name */
            name: string;
            partitioner: components["schemas"]["KeyHash"];
            /** Partitions */
            partitions: number;
            /**
             * Project Id
             * Format: uuid
             */
            project_id: string;
            /** Retention Bytes */
            retention_bytes: number | null;
            /** Retention Hours */
            retention_hours: number | null;
            /**
             * Schema Version
             * @description The JSON Schema version publishes are checked against
             */
            schema_version?: number | null;
            /** @description Headline figures; given by GET /topics (the list) */
            stats?: components["schemas"]["TopicHeadline"] | null;
        };
        /**
         * TopicRename
         * @example {
         *       "name": "orders-v2"
         *     }
         */
        TopicRename: {
            /** Name */
            name: string;
        };
        /**
         * TopicStatsOut
         * @example {
         *       "bytes_last_hour": 1510,
         *       "bytes_last_minute": 108,
         *       "bytes_out_last_hour": 3020,
         *       "bytes_out_last_minute": 216,
         *       "bytes_retained": 1510,
         *       "last_message_at": "2026-12-04T09:40:00.120Z",
         *       "messages_last_hour": 42,
         *       "messages_last_minute": 3,
         *       "messages_out_last_hour": 84,
         *       "messages_out_last_minute": 6,
         *       "messages_retained": 42,
         *       "open_streams": 1,
         *       "partitions": [
         *         {
         *           "earliest_offset": 0,
         *           "messages": 42,
         *           "next_offset": 42,
         *           "partition": 0
         *         }
         *       ],
         *       "topic": "orders"
         *     }
         */
        TopicStatsOut: {
            /**
             * Bytes Last Hour
             * @description Bytes published in the last hour
             */
            bytes_last_hour: number;
            /**
             * Bytes Last Minute
             * @description Bytes published in the last 60 s
             */
            bytes_last_minute: number;
            /** Bytes Out Last Hour */
            bytes_out_last_hour: number;
            /** Bytes Out Last Minute */
            bytes_out_last_minute: number;
            /**
             * Bytes Retained
             * @description Bytes the log holds for the topic; null on Kafka (no cheap way to ask)
             */
            bytes_retained: number | null;
            /** Last Message At */
            last_message_at: string | null;
            /**
             * Messages Last Hour
             * @description Messages published in the last hour
             */
            messages_last_hour: number;
            /**
             * Messages Last Minute
             * @description Messages published in the last 60 s
             */
            messages_last_minute: number;
            /** Messages Out Last Hour */
            messages_out_last_hour: number;
            /**
             * Messages Out Last Minute
             * @description Messages delivered to streams or shown by the browser in the last 60 s
             */
            messages_out_last_minute: number;
            /** Messages Retained */
            messages_retained: number;
            /**
             * Open Streams
             * @description Streams open on this topic in the answering process
             */
            open_streams: number;
            /** Partitions */
            partitions: components["schemas"]["PartitionStatsOut"][];
            /** Topic */
            topic: string;
        };
        /**
         * UsageHistoryOut
         * @example {
         *       "days": [
         *         {
         *           "bytes_in": 0,
         *           "bytes_out": 0,
         *           "date": "2026-12-03",
         *           "messages_in": 0,
         *           "messages_out": 0
         *         },
         *         {
         *           "bytes_in": 1048576,
         *           "bytes_out": 40960,
         *           "date": "2026-12-04",
         *           "messages_in": 8200,
         *           "messages_out": 120
         *         }
         *       ],
         *       "limits": {
         *         "bytes_in": 104857600,
         *         "bytes_out": null,
         *         "messages_in": 10000,
         *         "messages_out": null
         *       }
         *     }
         */
        UsageHistoryOut: {
            /** Days */
            days: components["schemas"]["DayUsageOut"][];
            limits: components["schemas"]["DailyLimitsOut"];
        };
        /**
         * UserOut
         * @example {
         *       "created_at": "2026-12-04T09:30:00Z",
         *       "email": "ada@example.com",
         *       "id": "3f1c9b2e-8a4d-4e6f-9b1a-2c3d4e5f6a7b",
         *       "is_active": true,
         *       "is_platform_admin": false,
         *       "role": "owner",
         *       "tenant_id": "7d2e4c1a-5b6f-4a8e-9c0d-1e2f3a4b5c6d",
         *       "username": "ada"
         *     }
         */
        UserOut: {
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Email */
            email: string | null;
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Is Active */
            is_active: boolean;
            /** Is Platform Admin */
            is_platform_admin: boolean;
            /** Role */
            role?: string | null;
            /** Tenant Id */
            tenant_id?: string | null;
            /** Username */
            username: string | null;
        };
        /**
         * UserPage
         * @example {
         *       "total": 1,
         *       "users": [
         *         {
         *           "created_at": "2026-12-04T09:30:00Z",
         *           "email": "ada@example.com",
         *           "id": "3f1c9b2e-8a4d-4e6f-9b1a-2c3d4e5f6a7b",
         *           "is_active": true,
         *           "is_platform_admin": false,
         *           "role": "owner",
         *           "tenant_id": "7d2e4c1a-5b6f-4a8e-9c0d-1e2f3a4b5c6d",
         *           "username": "ada"
         *         }
         *       ]
         *     }
         */
        UserPage: {
            /** Total */
            total: number;
            /** Users */
            users: components["schemas"]["UserOut"][];
        };
        /**
         * UserUsageOut
         * @example {
         *       "api": {
         *         "api_calls": 1520,
         *         "average_latency_ms": 4.8,
         *         "client_errors": 12,
         *         "errors": 0,
         *         "items_indexed": 250,
         *         "recommendations_served": 30,
         *         "streams": 4
         *       },
         *       "bytes_in": {
         *         "limit": 104857600,
         *         "percentage": 1,
         *         "remaining": 103809024,
         *         "used": 1048576,
         *         "warning": false
         *       },
         *       "bytes_out": {
         *         "limit": null,
         *         "percentage": null,
         *         "remaining": null,
         *         "used": 40960,
         *         "warning": false
         *       },
         *       "date": "2026-12-04",
         *       "messages_in": {
         *         "limit": 10000,
         *         "percentage": 82,
         *         "remaining": 1800,
         *         "used": 8200,
         *         "warning": true
         *       },
         *       "messages_out": {
         *         "limit": null,
         *         "percentage": null,
         *         "remaining": null,
         *         "used": 120,
         *         "warning": false
         *       },
         *       "tenant_id": "7d2e4c1a-5b6f-4a8e-9c0d-1e2f3a4b5c6d",
         *       "warnings": [
         *         "82% of today's messages in quota used (8200 of 10000)"
         *       ]
         *     }
         */
        UserUsageOut: {
            api: components["schemas"]["ApiUsageOut"];
            bytes_in: components["schemas"]["Meter"];
            bytes_out: components["schemas"]["Meter"];
            /**
             * Date
             * Format: date
             */
            date: string;
            messages_in: components["schemas"]["Meter"];
            messages_out: components["schemas"]["Meter"];
            /** Tenant Id */
            tenant_id: string;
            /** Warnings */
            warnings: string[];
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    root__get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RootOut"];
                    "text/html": unknown;
                };
            };
        };
    };
    list_tenants_api_admin_tenants_get: {
        parameters: {
            query?: {
                limit?: number;
                offset?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TenantPage"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    create_tenant_api_admin_tenants_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TenantCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TenantOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    get_tenant_api_admin_tenants__tenant_id__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                tenant_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TenantOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    replace_tenant_api_admin_tenants__tenant_id__put: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                tenant_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TenantUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TenantOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    delete_tenant_api_admin_tenants__tenant_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                tenant_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    update_tenant_api_admin_tenants__tenant_id__patch: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                tenant_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TenantUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TenantOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    tenant_usage_api_admin_tenants__tenant_id__usage_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                tenant_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "date": "2026-12-04",
                     *       "projects": {
                     *         "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d": {
                     *           "bytes_in": 1048576,
                     *           "bytes_out": 40960,
                     *           "messages_in": 8200,
                     *           "messages_out": 120
                     *         }
                     *       },
                     *       "tenant_id": "7d2e4c1a-5b6f-4a8e-9c0d-1e2f3a4b5c6d"
                     *     }
                     */
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    list_users_api_admin_users_get: {
        parameters: {
            query?: {
                limit?: number;
                offset?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserPage"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    deactivate_user_api_admin_users__user_id__deactivate_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                user_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    active_streams_api_v1_admin_active_streams_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "count": 1,
                     *       "streams": [
                     *         {
                     *           "expires_at": "2026-12-04T09:41:30+00:00",
                     *           "process_id": "web-1:4121",
                     *           "slot_id": "3c0f9a7e2b1d",
                     *           "started_at": "2026-12-04T09:40:00+00:00",
                     *           "user_id": "3f1c9b2e-8a4d-4e6f-9b1a-2c3d4e5f6a7b"
                     *         }
                     *       ],
                     *       "this_process": [
                     *         {
                     *           "id": "3c0f9a7e2b1d",
                     *           "project_id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
                     *           "started_at": "2026-12-04T09:40:00+00:00",
                     *           "tenant_id": "7d2e4c1a-5b6f-4a8e-9c0d-1e2f3a4b5c6d",
                     *           "topic": "th.t.0b1c2d3e4f5a4b6c8d7e9f0a1b2c3d4e",
                     *           "transport": "sse",
                     *           "user_id": "3f1c9b2e-8a4d-4e6f-9b1a-2c3d4e5f6a7b"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
        };
    };
    admin_health_api_v1_admin_health_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HealthOut"];
                };
            };
        };
    };
    list_keys_api_v1_api_keys_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiKeyOut"][];
                };
            };
        };
    };
    create_key_api_v1_api_keys_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ApiKeyCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiKeyCreated"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    revoke_key_api_v1_api_keys__key_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                key_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    login_api_v1_auth_login_post: {
        parameters: {
            query?: {
                password?: string | null;
                username?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": {
                    /** Email */
                    email?: string | null;
                    /** Password */
                    password: string;
                    /** Username */
                    username?: string | null;
                };
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    logout_api_v1_auth_logout_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RefreshIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    me_api_v1_auth_me_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserOut"];
                };
            };
        };
    };
    deactivate_me_api_v1_auth_me_delete: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    update_me_api_v1_auth_me_patch: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MeUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MeUpdated"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    refresh_api_v1_auth_refresh_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RefreshIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    signup_api_v1_auth_signup_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SignupIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    list_groups_api_v1_chat_groups_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["topichub__chat__schemas__GroupList"];
                };
            };
        };
    };
    create_group_api_v1_chat_groups_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["GroupCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["topichub__chat__schemas__GroupOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    get_group_api_v1_chat_groups__group_id__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                group_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GroupDetail"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    list_group_invitations_api_v1_chat_groups__group_id__invitations_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                group_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["InvitationList"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    revoke_invitation_api_v1_chat_groups__group_id__invitations__invitation_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                group_id: string;
                invitation_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    add_member_api_v1_chat_groups__group_id__members_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                group_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MemberIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["topichub__chat__schemas__MemberOut"];
                };
            };
            /** @description Not a user of your tenant: an invitation was recorded */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["InvitedOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    remove_member_api_v1_chat_groups__group_id__members__user_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                group_id: string;
                user_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    my_invitations_api_v1_chat_invitations_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["InvitationList"];
                };
            };
        };
    };
    accept_invitation_api_v1_chat_invitations__invitation_id__accept_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                invitation_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["topichub__chat__schemas__GroupOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    decline_invitation_api_v1_chat_invitations__invitation_id__decline_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                invitation_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    dapr_todo_event_api_v1_dapr_events_todos_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description A CloudEvent 1.0 (structured mode shown; binary mode with `ce-*` headers is read too) whose `data` is a todo event */
        requestBody?: {
            content: {
                /**
                 * @example {
                 *       "data": {
                 *         "event": "todo_created",
                 *         "id": 17,
                 *         "title": "write docs"
                 *       },
                 *       "datacontenttype": "application/json",
                 *       "id": "2b7c9d1e-3f4a-4b5c-9d6e-7f8a9b0c1d2e",
                 *       "source": "topichub",
                 *       "specversion": "1.0",
                 *       "type": "com.dapr.event.sent"
                 *     }
                 */
                "application/cloudevents+json": unknown;
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "SUCCESS"
                     *     }
                     */
                    "application/json": {
                        [key: string]: string;
                    };
                };
            };
            /** @description Not a CloudEvent 1.0 (structured or binary mode) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    dapr_subscribe_api_v1_dapr_subscribe_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example [
                     *       {
                     *         "metadata": {},
                     *         "pubsubname": "kafka-pubsub",
                     *         "route": "/dapr/events/todos",
                     *         "topic": "todos"
                     *       }
                     *     ]
                     */
                    "application/json": {
                        [key: string]: unknown;
                    }[];
                };
            };
        };
    };
    delete_message_api_v1_delete_message__message_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The message's id */
                message_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeletedOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    edit_message_api_v1_edit_message__message_id__put: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The message's id */
                message_id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EditMessageIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    list_events_api_v1_events_get: {
        parameters: {
            query?: {
                /** @description Every tenant's events (platform admins only) */
                all?: boolean;
                limit?: number;
                offset?: number;
                topic?: string | null;
                /** @description e.g. todo_created */
                type?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventPage"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    track_interactions_api_v1_interactions_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["InteractionsIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["InteractionsOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    upload_items_api_v1_items_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ItemsUpload"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ItemsUploadOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    calculate_get_api_v1_math__operation__get: {
        parameters: {
            query?: {
                /** @description A number */
                a?: string | null;
                /** @description A number */
                b?: string | null;
                /** @description A number */
                n?: string | null;
            };
            header?: never;
            path: {
                /** @description add, subtract, multiply, divide, pow, sqrt (a only), factorial or fibonacci (n) */
                operation: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "a": 2,
                     *       "b": 3,
                     *       "operation": "add",
                     *       "result": 5
                     *     }
                     */
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    calculate_post_api_v1_math__operation__post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description add, subtract, multiply, divide, pow, sqrt (a only), factorial or fibonacci (n) */
                operation: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OperandsIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "a": 2,
                     *       "b": 3,
                     *       "operation": "add",
                     *       "result": 5
                     *     }
                     */
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    math_history_api_v1_math_history_get: {
        parameters: {
            query?: {
                limit?: number;
                offset?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HistoryPage"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    delete_math_history_entry_api_v1_math_history__entry_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                entry_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    list_messages_api_v1_messages__group_id__get: {
        parameters: {
            query?: {
                /** @description Only messages with a smaller id */
                before?: number | null;
                limit?: number;
            };
            header?: never;
            path: {
                group_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageOut"][];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    list_projects_api_v1_projects_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProjectOut"][];
                };
            };
        };
    };
    create_project_api_v1_projects_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ProjectCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProjectOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    get_project_api_v1_projects__project_id__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                project_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProjectOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    delete_project_api_v1_projects__project_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                project_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    update_project_api_v1_projects__project_id__patch: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                project_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ProjectUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProjectOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    recommendations_api_v1_recommendations_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RecommendationRequest"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RecommendationResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    register_api_v1_register_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RegisterIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    send_message_api_v1_send_message__post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SendMessageIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    create_stream_ticket_api_v1_stream_tickets_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StreamTicketOut"];
                };
            };
        };
    };
    list_todos_api_v1_todos_get: {
        parameters: {
            query?: {
                /** @description Only done or only open todos */
                completed?: boolean | null;
                limit?: number;
                offset?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TodoOut"][];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    create_todo_api_v1_todos_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TodoIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TodoOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    get_todo_api_v1_todos__todo_id__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The todo's id */
                todo_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TodoOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    replace_todo_api_v1_todos__todo_id__put: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The todo's id */
                todo_id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TodoIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TodoOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    delete_todo_api_v1_todos__todo_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The todo's id */
                todo_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    patch_todo_api_v1_todos__todo_id__patch: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The todo's id */
                todo_id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TodoPatch"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TodoOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    oauth2_token_api_v1_token_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/x-www-form-urlencoded": components["schemas"]["Body_oauth2_token_api_v1_token_post"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    list_topics_api_v1_topics_get: {
        parameters: {
            query?: {
                /** @description Project to act on; defaults to the key's project or the default one */
                project_id?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TopicList"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    create_topic_api_v1_topics_post: {
        parameters: {
            query?: {
                /** @description Project to act on; defaults to the key's project or the default one */
                project_id?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TopicCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TopicOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    get_topic_api_v1_topics__name__get: {
        parameters: {
            query?: {
                /** @description Project to act on; defaults to the key's project or the default one */
                project_id?: string | null;
            };
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TopicOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    delete_topic_api_v1_topics__name__delete: {
        parameters: {
            query?: {
                /** @description Project to act on; defaults to the key's project or the default one */
                project_id?: string | null;
            };
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    rename_topic_api_v1_topics__name__patch: {
        parameters: {
            query?: {
                /** @description Project to act on; defaults to the key's project or the default one */
                project_id?: string | null;
            };
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TopicRename"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TopicOut"];
                };
            };
            /** @description Needs the admin permission; app topics cannot be renamed */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            /** @description The new name is taken in the project, or reserved */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    list_groups_api_v1_topics__name__groups_get: {
        parameters: {
            query?: {
                project_id?: string | null;
            };
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["topichub__groups__schemas__GroupList"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    get_group_api_v1_topics__name__groups__group__get: {
        parameters: {
            query?: {
                project_id?: string | null;
            };
            header?: never;
            path: {
                /** @description The group's name */
                group: string;
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["topichub__groups__schemas__GroupOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    put_group_api_v1_topics__name__groups__group__put: {
        parameters: {
            query?: {
                project_id?: string | null;
            };
            header?: never;
            path: {
                /** @description The group's name */
                group: string;
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["GroupSettingsIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["topichub__groups__schemas__GroupOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    delete_group_api_v1_topics__name__groups__group__delete: {
        parameters: {
            query?: {
                project_id?: string | null;
            };
            header?: never;
            path: {
                /** @description The group's name */
                group: string;
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    commit_api_v1_topics__name__groups__group__commit_post: {
        parameters: {
            query?: {
                project_id?: string | null;
            };
            header?: never;
            path: {
                /** @description The group's name */
                group: string;
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CommitIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Committed"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    nack_api_v1_topics__name__groups__group__nack_post: {
        parameters: {
            query?: {
                project_id?: string | null;
            };
            header?: never;
            path: {
                /** @description The group's name */
                group: string;
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["NackIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Nacked"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    poll_api_v1_topics__name__groups__group__poll_post: {
        parameters: {
            query?: {
                project_id?: string | null;
            };
            header?: never;
            path: {
                /** @description The group's name */
                group: string;
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PollIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PollOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    reset_group_api_v1_topics__name__groups__group__reset_post: {
        parameters: {
            query?: {
                project_id?: string | null;
            };
            header?: never;
            path: {
                /** @description The group's name */
                group: string;
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ResetIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["topichub__groups__schemas__GroupOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    browse_messages_api_v1_topics__name__messages_get: {
        parameters: {
            query?: {
                /** @description The `next` of the previous page */
                cursor?: string | null;
                /** @description Exact key */
                key?: string | null;
                limit?: number;
                /** @description First offset to show (needs partition) */
                offset?: number | null;
                /** @description desc = newest first */
                order?: "asc" | "desc";
                partition?: number | null;
                project_id?: string | null;
                /** @description ISO-8601; records at or after */
                since?: string | null;
                /** @description ISO-8601; records at or before */
                until?: string | null;
            };
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessagePage"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    publish_api_v1_topics__name__publish_post: {
        parameters: {
            query?: {
                /** @description Project to act on; defaults to the key's project or the default one */
                project_id?: string | null;
            };
            header?: {
                /** @description Retry safely: the same key and body replay the first answer */
                "Idempotency-Key"?: string | null;
            };
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PublishIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PublishOut"];
                };
            };
            /** @description A request with this Idempotency-Key is still running */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            /** @description A message is over the size limit (the index is named) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            /** @description Rate limit or daily quota exceeded */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            /** @description The log did not confirm in time: outcome unknown */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    get_schema_api_v1_topics__name__schema_get: {
        parameters: {
            query?: {
                project_id?: string | null;
                /** @description A past version; default: in force */
                version?: number | null;
            };
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SchemaOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    put_schema_api_v1_topics__name__schema_put: {
        parameters: {
            query?: {
                /** @description Replace even a schema the new one may not accept all of */
                force?: boolean;
                project_id?: string | null;
            };
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SchemaIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SchemaOut"];
                };
            };
            /** @description Needs the admin permission; app topics take no schema */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            /** @description The new schema may reject messages the old one accepted */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
            /** @description Not a JSON Schema (draft 2020-12) topichub can use */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    delete_schema_api_v1_topics__name__schema_delete: {
        parameters: {
            query?: {
                project_id?: string | null;
            };
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    check_schema_api_v1_topics__name__schema_check_post: {
        parameters: {
            query?: {
                project_id?: string | null;
            };
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SchemaCheckIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SchemaCheckOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    list_schema_versions_api_v1_topics__name__schema_versions_get: {
        parameters: {
            query?: {
                project_id?: string | null;
            };
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SchemaVersions"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    topic_stats_api_v1_topics__name__stats_get: {
        parameters: {
            query?: {
                project_id?: string | null;
            };
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TopicStatsOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    stream_sse_api_v1_topics__name__stream_get: {
        parameters: {
            query?: {
                /** @description With group: commit each batch once it is written to the stream */
                autocommit?: boolean;
                /** @description An event id to resume after */
                cursor?: string | null;
                /** @description `earliest` or `latest` (default) */
                from?: string | null;
                /** @description Join this consumer group: the stream gets only its share of the partitions (docs/groups.md) */
                group?: string | null;
                project_id?: string | null;
                /** @description ISO-8601 time to start from */
                since?: string | null;
                /** @description A stream ticket: single-use, except that an SSE stream's ticket may reopen that same stream (EventSource's automatic reconnect) */
                ticket?: string | null;
            };
            header?: {
                "last-event-id"?: string | null;
            };
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description An SSE stream (frames: /docs/streams) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example : connected
                     *
                     *     id: 0:42
                     *     data: {"value":{"order_id":1043},"key":"customer-7","headers":{},"partition":0,"offset":41,"timestamp":"2026-12-04T09:40:00.120Z"}
                     *
                     *     : heartbeat
                     *
                     *     event: close
                     *     data: {"reason":"topic_deleted"}
                     */
                    "text/event-stream": string;
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    usage_api_v1_usage_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserUsageOut"];
                };
            };
        };
    };
    usage_history_api_v1_usage_history_get: {
        parameters: {
            query?: {
                /** @description How many UTC days, today included */
                days?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UsageHistoryOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    usage_by_project_api_v1_usage_projects_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProjectsUsageOut"];
                };
            };
        };
    };
    asyncapi_asyncapi_json_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "asyncapi": "3.0.0",
                     *       "channels": {
                     *         "topicWebSocket": {
                     *           "address": "/api/v1/topics/{name}/ws"
                     *         }
                     *       },
                     *       "info": {
                     *         "title": "topichub streams",
                     *         "version": "0.1.0"
                     *       }
                     *     }
                     */
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
        };
    };
    health_health_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "app": "topichub",
                     *       "engines": {
                     *         "database": "postgresql",
                     *         "event_log": "kafka",
                     *         "limits": "redis"
                     *       },
                     *       "status": "healthy",
                     *       "version": "0.1.0"
                     *     }
                     */
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
        };
    };
    healthcheck_healthcheck_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "checks": {
                     *         "database": "ok",
                     *         "event_bus": "ok"
                     *       },
                     *       "ready": true,
                     *       "status": "healthy",
                     *       "version": "0.1.0"
                     *     }
                     */
                    "application/json": unknown;
                };
            };
            /** @description A check failed: its value is `down` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
    ready_ready_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "checks": {
                     *         "database": "ok",
                     *         "event_bus": "ok"
                     *       },
                     *       "ready": true,
                     *       "status": "healthy",
                     *       "version": "0.1.0"
                     *     }
                     */
                    "application/json": unknown;
                };
            };
            /** @description A check failed: its value is `down` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorEnvelope"];
                };
            };
        };
    };
}
