/** The datafiles the role tests deploy: one datasource and an endpoint over it. */
export const EVENTS = `SCHEMA >
    \`timestamp\` DateTime \`json:$.timestamp\`,
    \`tenant\` String \`json:$.tenant\`,
    \`pathname\` String \`json:$.pathname\`,
    \`value\` Int64 \`json:$.value\`

ENGINE "MergeTree"
ENGINE_SORTING_KEY "timestamp"
`;

export const TOP_PAGES = `NODE filtered
SQL >
    %
    SELECT pathname, value FROM events
    {% if defined(tenant) %} WHERE tenant = {{ String(tenant) }} {% end %}

NODE endpoint
SQL >
    %
    SELECT pathname, count() AS views, sum(value) AS total FROM filtered
    GROUP BY pathname ORDER BY pathname LIMIT {{ Int32(limit, 10) }}

TYPE endpoint
`;

export const FILES = { "events.datasource": EVENTS, "top_pages.pipe": TOP_PAGES };

/** 10 rows: n = 0..9, tenant acme (even) / globex (odd), pathname /p{n%3}, value n. */
export const TEN_ROWS = `INSERT INTO {table} SELECT toDateTime('2026-01-01 00:00:00') + number * 3600, if(number % 2 = 0, 'acme', 'globex'), concat('/p', toString(number % 3)), number FROM numbers(10)`;
