//! The OpenAPI 3.1 description of Signpost's JSON API (`/api/openapi.json`).
//!
//! Written by hand beside the handlers it describes, with the vocabulary (types,
//! accessibility features) filled in from the taxonomy so the allowed values never
//! drift. Its schemas are JSON Schema (2020-12, as OpenAPI 3.1 uses), and the tests
//! check real responses against them, so a change to the API that is not made here
//! too fails a test.

use serde_json::{Value, json};

use crate::listing::{Day, Level, Mode, Taxonomy, TimeOfDay, TravelMode};
use crate::search::request::{MAX_PAGE, MAX_QUERY_CHARS, MAX_WITHIN_MILES, MIN_WITHIN_MILES};

fn string() -> Value {
    json!({"type": "string"})
}

fn opt_string() -> Value {
    json!({"type": ["string", "null"]})
}

fn enum_of<'a>(values: impl IntoIterator<Item = &'a str>) -> Value {
    json!({"type": "string", "enum": values.into_iter().collect::<Vec<_>>()})
}

fn list_param(name: &str, description: &str, items: Value) -> Value {
    json!({
        "name": name, "in": "query", "required": false, "description": description,
        "style": "form", "explode": true,
        "schema": {"type": "array", "items": items}
    })
}

fn param(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

/// The whole document, with `base` as its server.
pub fn document(base: &str, taxonomy: &Taxonomy) -> Value {
    let types = enum_of(taxonomy.types.iter().map(|t| t.slug.as_str()));
    let access = enum_of(taxonomy.access.iter().map(|a| a.slug.as_str()));
    let circumstances = enum_of(taxonomy.circumstances.iter().map(|c| c.slug.as_str()));
    let days = enum_of(Day::ALL.iter().map(|d| d.slug()));
    let times = enum_of(TimeOfDay::ALL.iter().map(|t| t.slug()));
    let modes = enum_of(Mode::ALL.iter().map(|m| m.slug()));
    let time = json!({"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "description": "24-hour UK local time, HH:MM"});
    let date = json!({"type": "string", "format": "date"});
    let local_datetime = json!({"type": "string", "description": "UK local date and time without an offset, like 2026-12-01T10:00:00"});
    let search_params = json!([
        param(
            "q",
            "What the person is looking for, in their words",
            json!({"type": "string", "maxLength": MAX_QUERY_CHARS})
        ),
        param(
            "near",
            "A postcode, postcode district, place name or 'lat,lon'",
            string()
        ),
        param(
            "within",
            "Radius in miles around `near`",
            json!({"type": "number", "minimum": MIN_WITHIN_MILES, "maximum": MAX_WITHIN_MILES, "default": 5})
        ),
        list_param("type", "Activity types (any of)", types.clone()),
        list_param("access", "Accessibility features (all of)", access.clone()),
        param(
            "free",
            "Only free activities",
            json!({"type": "string", "enum": ["0", "1", "true", "false", "yes", "no", "on", "off", ""]})
        ),
        list_param("day", "Days it runs (any of)", days.clone()),
        list_param("time", "Times of day (any of)", times),
        param(
            "age",
            "The person's age: leaves out activities for other ages",
            json!({"type": "integer", "minimum": 0, "maximum": 120})
        ),
        list_param("mode", "How it happens (any of)", modes.clone()),
        param(
            "sort",
            "Order of results",
            json!({"type": "string", "enum": ["relevance", "distance"]})
        ),
        param(
            "page",
            "Page of results, 10 a page",
            json!({"type": "integer", "minimum": 1, "maximum": MAX_PAGE})
        )
    ]);
    let listing = json!({
        "type": "object",
        "required": ["id", "title", "summary", "description", "organisation", "types", "modes", "area_served", "schedule", "cost", "access", "audience", "join", "provenance", "status", "postcode", "lat", "lon", "url"],
        "additionalProperties": false,
        "properties": {
            "id": {"type": "integer"},
            "title": string(), "summary": string(), "description": string(),
            "organisation": {"type": "object", "required": ["name"], "additionalProperties": false,
                "properties": {"name": string(), "website": string(), "email": string(), "phone": string()}},
            "types": {"type": "array", "items": types},
            "modes": {"type": "array", "items": modes},
            "venue": {"type": "object", "required": ["name", "address"], "additionalProperties": false,
                "properties": {"name": string(), "address": string(), "postcode": string(),
                    "lat": {"type": "number"}, "lon": {"type": "number"},
                    "geo_precision": {"type": "string", "enum": ["source", "postcode", "district"]}}},
            "area_served": {"type": "object", "additionalProperties": false,
                "properties": {"description": string(), "postcodes": {"type": "array", "items": string()}}},
            "schedule": {"type": "object", "additionalProperties": false, "properties": {
                "sessions": {"type": "array", "items": {
                    "type": "object", "required": ["repeat", "day", "start"], "additionalProperties": false,
                    "properties": {
                        "repeat": {"type": "string", "enum": ["weekly", "fortnightly", "monthly"]},
                        "day": days.clone(),
                        "week_of_month": {"type": "integer", "enum": [1, 2, 3, 4, -1]},
                        "start": time.clone(), "end": time.clone(),
                        "starting": date.clone(), "until": date.clone()
                    }
                }},
                "dates": {"type": "array", "items": {
                    "type": "object", "required": ["date", "start"], "additionalProperties": false,
                    "properties": {"date": date.clone(), "start": time.clone(), "end": time}
                }},
                "except": {"type": "array", "items": date},
                "note": string()
            }},
            "cost": {"type": "object", "required": ["free", "pay_what_you_can"], "additionalProperties": false, "properties": {
                "free": {"type": "boolean"}, "price": string(),
                "amount_pence": {"type": "integer", "minimum": 0},
                "concessions": string(), "pay_what_you_can": {"type": "boolean"}
            }},
            "access": {"type": "object", "required": ["features"], "additionalProperties": false, "properties": {
                "features": {"type": "array", "items": access}, "notes": string(),
                "travel": {"type": "array", "items": {
                    "type": "object", "required": ["by", "note"], "additionalProperties": false,
                    "properties": {
                        "by": enum_of(TravelMode::ALL.iter().map(|t| t.slug())),
                        "note": {"type": "string", "maxLength": crate::listing::validate::MAX_TRAVEL}
                    }
                }}
            }},
            "audience": {"type": "object", "required": ["gender", "circumstances"], "additionalProperties": false, "properties": {
                "age_min": {"type": "integer", "minimum": 0, "maximum": 120},
                "age_max": {"type": "integer", "minimum": 0, "maximum": 120},
                "gender": {"type": "string", "enum": ["any", "women", "men"]},
                "circumstances": {"type": "array", "items": circumstances},
                "notes": string(),
                "level": enum_of(Level::ALL.iter().map(|l| l.slug()))
            }},
            "join": {"type": "object", "required": ["method", "contact"], "additionalProperties": false, "properties": {
                "method": {"type": "string", "enum": ["drop-in", "book", "referral"]},
                "details": string(),
                "contact": {"type": "object", "additionalProperties": false, "properties": {
                    "name": string(), "phone": string(), "email": string(), "url": string()
                }},
                "meeting_point": {"type": "string", "maxLength": crate::listing::validate::MAX_MEETING_POINT},
                "leader": string(),
                "places": {"type": "integer", "minimum": 1}
            }},
            "provenance": {"type": "object", "required": ["source", "source_id"], "additionalProperties": false, "properties": {
                "source": string(), "source_id": string(), "source_url": string(),
                "updated_at": {"type": "string", "format": "date-time"},
                "verified_at": {"type": "string", "format": "date-time"}
            }},
            "status": {"type": "string", "enum": ["published", "pending", "archived"]},
            "postcode": opt_string(),
            "lat": {"type": ["number", "null"]},
            "lon": {"type": ["number", "null"]},
            "url": string()
        }
    });
    let hit = json!({
        "type": "object",
        "required": ["id", "title", "summary", "organisation", "types", "access", "mode", "free", "reach", "reach_label", "next_session", "url"],
        "additionalProperties": false,
        "properties": {
            "id": {"type": "integer"},
            "title": string(), "summary": string(), "organisation": string(),
            "types": {"type": "array", "items": types.clone()},
            "access": {"type": "array", "items": access.clone()},
            "mode": {"type": "array", "items": modes.clone()},
            "free": {"type": "boolean"},
            "price": string(), "venue": string(), "postcode": string(),
            "distance_miles": {"type": "number", "minimum": 0},
            "reach": {"type": "string", "enum": ["none", "distance", "online", "phone", "home-visit", "area"]},
            "reach_label": string(),
            "next_session": {"oneOf": [{"type": "null"}, {
                "type": "object", "required": ["start", "text"], "additionalProperties": false,
                "properties": {"start": local_datetime.clone(), "end": local_datetime, "text": string()}
            }]},
            "url": {"type": "string", "description": "The listing's page on this site"}
        }
    });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Signpost JSON API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Search local activities and groups, and read a listing, with the same parameters as the website's pages. Open data feeds are described separately at /openactive.",
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"}
        },
        "servers": [{"url": base}],
        "paths": {
            "/api/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Search listings",
                    "description": "The results page as JSON: one page of results, best first (nearest first when sorting by distance). Unknown parameters are ignored; a value that cannot mean anything is a 400 with a message for each.",
                    "parameters": search_params,
                    "responses": {
                        "200": {"description": "The results", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResults"}}}},
                        "400": error_response("A parameter could not be used (the messages say why)")
                    }
                }
            },
            "/api/listings/{id}": {
                "get": {
                    "operationId": "getListing",
                    "summary": "One listing",
                    "description": "The whole listing in Signpost's own import format, plus `postcode`, `lat`, `lon` and `url` for clients that only want to map or link it. The id of a duplicate merged into another listing gives that listing.",
                    "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                    "responses": {
                        "200": {"description": "The listing", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Listing"}}}},
                        "404": error_response("No published listing has that id")
                    }
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "summary": "Whether the site is up",
                    "responses": {"200": {"description": "Up", "content": {"application/json": {"schema": {
                        "type": "object", "required": ["status", "listings_indexed"], "additionalProperties": false,
                        "properties": {"status": {"const": "ok"}, "listings_indexed": {"type": "integer", "minimum": 0}}
                    }}}}}
                }
            }
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object", "required": ["error"], "additionalProperties": false,
                    "properties": {
                        "error": string(),
                        "errors": {"type": "array", "items": {
                            "type": "object", "required": ["param", "message"], "additionalProperties": false,
                            "properties": {"param": string(), "message": string(), "choices": {"type": "array", "items": string()}}
                        }}
                    }
                },
                "SearchResults": {
                    "type": "object",
                    "required": ["total", "page", "per_page", "pages", "sort", "type_counts", "hits"],
                    "additionalProperties": false,
                    "properties": {
                        "total": {"type": "integer", "minimum": 0, "description": "Every result, or, with more_than_total, the number counted before counting stopped"},
                        "more_than_total": {"type": "boolean", "description": "There are more than total results (a broad search is counted exactly up to 10,000)"},
                        "page": {"type": "integer", "minimum": 1},
                        "per_page": {"type": "integer", "minimum": 1},
                        "pages": {"type": "integer", "minimum": 0},
                        "sort": {"type": "string", "enum": ["relevance", "distance"]},
                        "type_counts": {"type": "array", "items": {
                            "type": "object", "required": ["type", "label", "count"], "additionalProperties": false,
                            "properties": {"type": types.clone(), "label": string(), "count": {"type": "integer", "minimum": 0},
                                "partial": {"type": "boolean", "description": "Counted only in part (the search has more than 10,000 results): there are at least count"}}
                        }},
                        "location": {"$ref": "#/components/schemas/Location"},
                        "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
                        "some_words": {"type": "boolean", "description": "Nothing had most of the words, so these have some of them"},
                        "also": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}, "description": "On the page where the results run out: listings with some of the words, not most, that are close in meaning to the search, to show apart after the hits. Not counted in total"},
                        "did_you_mean": {"type": "string", "description": "The search with each word no listing has replaced by the word it most likely misspells (only when there was one)"}
                    }
                },
                "Location": {
                    "type": "object", "required": ["label", "lat", "lon", "precision"], "additionalProperties": false,
                    "properties": {
                        "label": string(), "lat": {"type": "number"}, "lon": {"type": "number"},
                        "precision": {"type": "string", "enum": ["point", "postcode", "district", "place"]},
                        "district": string(), "area": string(), "note": string()
                    }
                },
                "Listing": listing,
                "Hit": hit
            }
        }
    })
}
