"""The Spark job runner: executes one engine-neutral plan (shared/core/plans.ts) on Apache Spark.

  spark-submit runner.py <plan.json> <result.json>                      (spark-local)
  spark-submit runner.py <plan.json> grpc://<host:port>/jobs/<job id>   (spark-k8s)

(plan.json may hold a list of plans: they run in one session and result.json holds a list.)

With a grpc:// target the runner reports to the core's JobRunnerService
(proto/featurestore/v1/job_runner.proto) instead of writing result.json: progress every few
seconds from Spark's status tracker, then the result, both with the job's own credential
(FEATURESTORE_JOB_TOKEN, from the job's Secret) as `authorization: Bearer`. Side files (online-form
rows) go beside the plan.

The plan is the same plain data the DuckDB engine executes, as JSON (times as ISO 8601 text, stored
files as URIs Spark reads: file://, s3a://, wasb(s)://, abfss://). The result is JSON: the files
written and their row count, statistics, or the path of a JSON-lines file of online-form rows.

PySpark rather than Scala: no build step (the job is this one file, shipped with the image and
given to spark-submit as is), and every step is a DataFrame expression that runs in the JVM: no
Python UDF touches a row, so it costs what Scala would.
"""

import json
import os
import re
import sys
import threading
import time
from datetime import datetime

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

SPARK_TYPES = {
    "STRING": T.StringType(),
    "BOOL": T.BooleanType(),
    "INT32": T.IntegerType(),
    "INT64": T.LongType(),
    "FLOAT32": T.FloatType(),
    "FLOAT64": T.DoubleType(),
    "TIMESTAMP": T.TimestampType(),
    "DATE": T.DateType(),
    "BYTES": T.BinaryType(),
}


def spark_type(feature):
    t = SPARK_TYPES[feature["type"]]
    return T.ArrayType(t) if feature.get("isList") else t


def empty_frame(spark, schema):
    """No stored files: no rows, the schema's columns."""
    fields = [T.StructField(f["name"], spark_type(f), True) for f in schema["features"]]
    return spark.createDataFrame([], T.StructType(fields))


def stored(spark, files, schema):
    return spark.read.parquet(*files) if files else empty_frame(spark, schema)


def parse_time(text):
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def in_range(frame, column, start, end):
    if start is not None:
        frame = frame.where(F.col(column) >= F.lit(parse_time(start)))
    if end is not None:
        frame = frame.where(F.col(column) < F.lit(parse_time(end)))
    return frame


def write_one_file(spark, frame, output_dir, fmt):
    """Writes the frame as one file, output_dir/part-0.<ext>, as the DuckDB engine does."""
    ext = "csv" if fmt == "CSV" else "parquet"
    staging = f"{output_dir.rstrip('/')}/_spark"
    if fmt == "CSV":
        text = frame.select(*[csv_text(F.col(f.name), f.dataType).alias(f.name) for f in frame.schema.fields])
        text.coalesce(1).write.mode("overwrite").option("header", True).csv(staging)
    else:
        frame.coalesce(1).write.mode("overwrite").parquet(staging)
    jvm = spark._jvm
    conf = spark._jsc.hadoopConfiguration()
    path = jvm.org.apache.hadoop.fs.Path(staging)
    fs = path.getFileSystem(conf)
    parts = [s.getPath() for s in fs.listStatus(path) if s.getPath().getName().startswith("part-")]
    target = jvm.org.apache.hadoop.fs.Path(f"{output_dir.rstrip('/')}/part-0.{ext}")
    if parts:
        fs.rename(parts[0], target)
    fs.delete(path, True)
    return target.toString()


def rows_in_file(spark, file, fmt):
    """Rows in a file just written, read back from it: counting the frame before writing would run its
    whole plan twice. Parquet from the footer; CSV parsed (quoted cells may hold newlines); JSON
    lines one per line (Spark's writer escapes newlines)."""
    path = spark._jvm.org.apache.hadoop.fs.Path(file)
    if not path.getFileSystem(spark._jsc.hadoopConfiguration()).exists(path):
        return 0
    if fmt == "CSV":
        return spark.read.option("header", True).option("multiLine", True).csv(file).count()
    if fmt == "JSONL":
        return spark.read.text(file).count()
    return spark.read.parquet(file).count()


def timestamp_text(x):
    """A timestamp as DuckDB writes it: 2026-11-01 00:00:00+00, a fraction only when there is one."""
    micros = F.pmod(F.unix_micros(x), F.lit(1000000))
    frac = F.when(micros == 0, F.lit("")).otherwise(F.concat(F.lit("."), F.regexp_replace(F.lpad(micros.cast("string"), 6, "0"), "0+$", "")))
    return F.when(x.isNull(), F.lit(None)).otherwise(F.concat(F.date_format(x, "yyyy-MM-dd HH:mm:ss"), frac, F.lit("+00")))


def csv_text(x, t):
    """A column as text for CSV output, written as the DuckDB engine writes it (lists as [1, 2]; bytes base64)."""
    if isinstance(t, T.TimestampType):
        return timestamp_text(x)
    if isinstance(t, T.BinaryType):
        return F.base64(x)
    if isinstance(t, T.ArrayType):
        items = F.transform(x, lambda e: F.coalesce(csv_text(e, t.elementType), F.lit("NULL")))
        return F.when(x.isNull(), F.lit(None)).otherwise(F.concat(F.lit("["), F.array_join(items, ", "), F.lit("]")))
    return x


def run_retrieve(spark, plan):
    schema = plan["schema"]
    frame = in_range(stored(spark, plan["files"], schema), schema["eventTimeColumn"], plan.get("startTime"), plan.get("endTime"))
    frame = frame.select(*[F.col(c) for c in plan["columns"]]).orderBy(*[F.col(c) for c in plan["orderBy"]])
    file = write_one_file(spark, frame, plan["outputDir"], plan["format"])
    return {"files": [file], "rows": rows_in_file(spark, file, plan["format"])}


def stored_form(feature, column):
    """The online stored form (online-values.ts): int64 as text, timestamps in µs, dates in days, bytes base64."""

    def one(x):
        t = feature["type"]
        if t == "INT64":
            return x.cast("string")
        if t == "FLOAT32":
            return x.cast("double")
        if t == "TIMESTAMP":
            return F.unix_micros(x)
        if t == "DATE":
            return F.unix_date(x)
        if t == "BYTES":
            return F.base64(x)
        return x

    c = F.col(column)
    return F.transform(c, one) if feature.get("isList") else one(c)


def newest(frame, schema, prefix=None):
    keys = schema["primaryKey"]
    window = Window.partitionBy(*keys).orderBy(F.col(schema["eventTimeColumn"]).desc())
    ranked = frame.withColumn("__fs_n", F.row_number().over(window)).where("__fs_n = 1")
    cols = [stored_form(f, f["name"]).alias(f["name"] if prefix is None else f"{prefix}{i}") for i, f in enumerate(schema["features"])]
    return ranked, cols


def write_empty(spark, out):
    jvm = spark._jvm
    path = jvm.org.apache.hadoop.fs.Path(out)
    path.getFileSystem(spark._jsc.hadoopConfiguration()).create(path, True).close()


def write_json_lines(spark, frame, out):
    """Online-form rows as JSON lines (one file), for the caller to put online in batches."""
    staging = f"{out}._spark"
    frame.coalesce(1).write.mode("overwrite").option("ignoreNullFields", False).json(staging)
    jvm = spark._jvm
    path = jvm.org.apache.hadoop.fs.Path(staging)
    fs = path.getFileSystem(spark._jsc.hadoopConfiguration())
    parts = [s.getPath() for s in fs.listStatus(path) if s.getPath().getName().startswith("part-")]
    target = jvm.org.apache.hadoop.fs.Path(out)
    fs.delete(target, False)
    if parts:
        fs.rename(parts[0], target)
    else:
        fs.create(target).close()
    fs.delete(path, True)


def run_newest_per_key(spark, plan, out):
    schema = plan["schema"]
    if not plan["files"]:
        write_empty(spark, out)
        return {"rows": 0, "output": out}
    frame = in_range(stored(spark, plan["files"], schema), schema["eventTimeColumn"], plan.get("startTime"), plan.get("endTime"))
    ranked, cols = newest(frame, schema)
    result = ranked.select(*cols)
    write_json_lines(spark, result, out)
    return {"rows": rows_in_file(spark, out, "JSONL"), "output": out}


def run_reverted_keys(spark, plan, out):
    schema = plan["schema"]
    keys = schema["primaryKey"]
    if not plan["reverted"]:
        write_empty(spark, out)
        return {"rows": 0, "output": out}
    reverted = stored(spark, plan["reverted"], schema)
    r_ranked, r_cols = newest(reverted, schema, "__fs_r")
    r = r_ranked.select(*[F.col(k).alias(f"__fs_k{j}") for j, k in enumerate(keys)], *r_cols)
    if plan["remaining"]:
        touched = reverted.select(*keys).distinct()
        remaining = stored(spark, plan["remaining"], schema).join(touched, keys, "left_semi")
        v_ranked, v_cols = newest(remaining, schema, "__fs_v")
        v = v_ranked.select(*[F.col(k).alias(f"__fs_k{j}") for j, k in enumerate(keys)], *v_cols, F.lit(True).alias("__fs_found"))
        r = r.join(v, [f"__fs_k{j}" for j in range(len(keys))], "left")
    features = schema["features"]
    out_frame = r.select(
        F.struct(*[F.col(f"__fs_r{i}").alias(f["name"]) for i, f in enumerate(features)]).alias("reverted"),
        (
            F.when(F.col("__fs_found"), F.struct(*[F.col(f"__fs_v{i}").alias(f["name"]) for i, f in enumerate(features)]))
            if plan["remaining"]
            else F.lit(None)
        ).alias("restored"),
    )
    write_json_lines(spark, out_frame, out)
    return {"rows": rows_in_file(spark, out, "JSONL"), "output": out}


def output_column_names(entity_columns, sides):
    """training-sets.ts outputColumnNames: the feature's name unless it clashes, then feature_set__feature, then project__..."""
    count, short_count = {}, {}
    for s in sides:
        for f in s["features"]:
            count[f] = count.get(f, 0) + 1
            short = f"{s['featureSet']}__{f}"
            short_count[short] = short_count.get(short, 0) + 1
    taken = set(entity_columns)
    names = []
    for s in sides:
        side = []
        for f in s["features"]:
            short = f"{s['featureSet']}__{f}"
            if f not in taken and count[f] == 1:
                side.append(f)
            elif short not in taken and short_count[short] == 1:
                side.append(short)
            else:
                side.append(f"{s['project']}__{short}")
        names.append(side)
    return names


def read_entities(spark, entities, exact):
    """The entity table: the timestamp and key columns (`exact`) as text (CSV) or JSON values (JSON
    lines), to be converted by the one rule; other columns typed as the reader finds them."""
    files, fmt = entities["files"], entities["format"]
    if fmt == "CSV":
        csv = entities.get("csv") or {}
        reader = spark.read.option("header", csv.get("header", True)).option("sep", csv.get("delimiter", ",")).option("mode", "FAILFAST")
        inferred = reader.option("inferSchema", True).csv(files).schema
        pinned = T.StructType([T.StructField(f.name, T.StringType() if f.name in exact else f.dataType, True) for f in inferred.fields])
        return reader.schema(pinned).csv(files)
    if fmt == "PARQUET":
        return spark.read.option("mergeSchema", True).parquet(*files)
    frame = spark.read.json(files)
    # Spark's JSON reader sorts the columns: keep them in the order the first line writes them.
    first = spark.read.text(files).where(F.trim("value") != "").limit(1).collect()
    order = list(json.loads(first[0]["value"]).keys()) if first else []
    return frame.select(*[c for c in order if c in frame.columns], *[c for c in frame.columns if c not in order])


def run_training_set(spark, plan):
    """
    A point-in-time join without an AS OF join (Spark has no efficient one): per side, the entity
    rows and the side's rows in one window per key ordered by time, side rows first on equal times
    and, among those, the later ingest last; each entity row takes the last side row before it.
    """
    ts = plan["timestampColumn"]
    sides = plan["sides"]
    if not plan["entities"]["files"]:
        raise PlanError("INVALID_ARGUMENT", "matches no files", "entities")
    # The entity columns filling each side's primary key (a feature view's key mapping), in key order.
    entity_keys = [s.get("entityKey") or s["schema"]["primaryKey"] for s in sides]
    key_names = [k for keys in entity_keys for k in keys]
    try:
        raw = read_entities(spark, plan["entities"], {ts, *key_names})
    except Exception as err:
        raise PlanError("INVALID_ARGUMENT", f"cannot read the entity table as {plan['entities']['format']}: {engine_message(err)}", "entities") from err
    columns = raw.columns
    absent = [c for c in dict.fromkeys([ts, *key_names]) if c not in columns]
    if absent:
        raise PlanError(
            "INVALID_ARGUMENT",
            f"the entity table lacks column(s) {', '.join(absent)} (the timestamp column and every primary-key column of the feature sets)",
            "entities",
            [{"field": "entities", "row": 0, "column": c, "message": "missing"} for c in absent],
        )
    reserved = [c for c in columns if c.startswith("__fs_")]
    if reserved:
        raise PlanError("INVALID_ARGUMENT", f"entity column names may not start with __fs_: {', '.join(reserved[:20])}", "entities")
    types = {f.name: f.dataType for f in raw.schema.fields}
    # The timestamp and each side's key columns converted by the one rule; bad values are named by row.
    stamp, stamp_bad = convert({"type": "TIMESTAMP"}, F.col(ts), types[ts])
    checks = [{"column": ts, "when": F.col(ts).isNull() | stamp_bad, "message": F.concat(F.lit("is not a timestamp (to the microsecond): "), F.coalesce(shown(source_text(F.col(ts), types[ts])), F.lit("null")))}]
    side_keys = []
    for s, entity_key in zip(sides, entity_keys):
        keys = []
        for k, e in zip(s["schema"]["primaryKey"], entity_key):
            f = next(x for x in s["schema"]["features"] if x["name"] == k)
            value, bad = convert(f, F.col(e), types[e])
            label = MESSAGE_TYPES[f["type"]] + ("[]" if f.get("isList") else "")
            checks.append({"column": e, "when": bad, "message": F.concat(F.lit(f"cannot be read as {label}: "), shown(source_text(F.col(e), types[e])))})
            keys.append(value)
        side_keys.append(keys)
    any_bad = F.lit(False)
    for c in checks:
        any_bad = any_bad | F.coalesce(c["when"], F.lit(False))
    bad_rows = raw.where(any_bad).count()
    if bad_rows:
        place = raw.select("*", *place_columns())
        details = bad_row_details(spark, place, checks, plan["entities"]["files"], "entities")
        raise PlanError("INVALID_ARGUMENT", f"{bad_rows} entity row(s) have a bad timestamp or key; nothing was written", "entities", details)
    entity = raw.select(
        *[stamp.alias(ts) if c == ts else F.col(c) for c in columns],
        *[k.alias(f"__fs_k{i}_{j}") for i, keys in enumerate(side_keys) for j, k in enumerate(keys)],
    ).withColumn("__fs_row", F.monotonically_increasing_id())
    names = output_column_names(columns, sides)
    result = entity
    for i, s in enumerate(sides):
        schema = s["schema"]
        keys = schema["primaryKey"]
        et = schema["eventTimeColumn"]
        feats = s["features"]
        by_name = {f["name"]: f for f in schema["features"]}
        ingests = [files for files in s["ingests"] if files]
        fields = [F.col(f"__fs_f{j}") for j in range(len(feats))]
        entity_side = entity.select(
            F.col("__fs_row"),
            *[F.col(f"__fs_k{i}_{j}").alias(f"__fs_k{j}") for j in range(len(keys))],
            F.col(ts).alias("__fs_t"),
            F.lit(1).alias("__fs_side"),
            F.lit(None).cast("long").alias("__fs_rank"),
            F.lit(None).cast("timestamp").alias("__fs_et"),
            *[F.lit(None).cast(spark_type(by_name[f])).alias(f"__fs_f{j}") for j, f in enumerate(feats)],
        )
        union = entity_side
        for rank, files in enumerate(ingests):
            rows = spark.read.parquet(*files).select(
                F.lit(None).cast("long").alias("__fs_row"),
                *[F.col(k).alias(f"__fs_k{j}") for j, k in enumerate(keys)],
                F.col(et).cast("timestamp").alias("__fs_t"),
                F.lit(0).alias("__fs_side"),
                F.lit(rank).cast("long").alias("__fs_rank"),
                F.col(et).cast("timestamp").alias("__fs_et"),
                *[F.col(f).alias(f"__fs_f{j}") for j, f in enumerate(feats)],
            )
            union = union.unionByName(rows)
        window = (
            Window.partitionBy(*[f"__fs_k{j}" for j in range(len(keys))])
            .orderBy("__fs_t", "__fs_side", "__fs_rank")
            .rowsBetween(Window.unboundedPreceding, Window.currentRow)
        )
        found = F.when(F.col("__fs_side") == 0, F.struct(F.col("__fs_et").alias("et"), *[c.alias(f"f{j}") for j, c in enumerate(fields)]))
        joined = (
            union.withColumn("__fs_match", F.last(found, ignorenulls=True).over(window))
            .where("__fs_side = 1")
            .select("__fs_row", "__fs_t", "__fs_match")
        )
        ttl = s.get("ttlSeconds")
        fresh = F.lit(True) if ttl is None else (F.unix_micros(F.col("__fs_t")) - F.unix_micros(F.col("__fs_match.et")) <= F.lit(int(round(ttl * 1e6))))
        picked = joined.select(
            "__fs_row",
            *[F.when(fresh, F.col(f"__fs_match.f{j}")).alias(names[i][j]) for j in range(len(feats))],
        )
        # Keys no side row has (or null keys) give nulls; an entity row is never dropped.
        result = result.join(picked, "__fs_row", "left")
    result = result.orderBy("__fs_row").select(*columns, *[n for side in names for n in side])
    file = write_one_file(spark, result, plan["outputDir"], plan["format"])
    return {"files": [file], "rows": rows_in_file(spark, file, plan["format"])}


def stat_text(feature, x):
    """min and max as text, written as DuckDB writes them (statistics read the same whichever engine made them)."""
    return timestamp_text(x) if feature["type"] == "TIMESTAMP" else x.cast("string")


# As the DuckDB engine: distinct counts below this are exact, above it estimated.
EXACT_DISTINCT_BELOW = 16384


def run_statistics(spark, plan):
    schema = plan["schema"]
    if not plan["files"]:
        return {"statistics": {}}
    frame = spark.read.option("mergeSchema", True).parquet(*plan["files"])
    # Fewer rows than the exact-count bound: every distinct count is exact in the one pass (Spark's
    # HyperLogLog at 1% costs about a second per column however few the rows).
    few_rows = frame.limit(EXACT_DISTINCT_BELOW).count() < EXACT_DISTINCT_BELOW
    numeric = {"INT32", "INT64", "FLOAT32", "FLOAT64"}
    out = {}
    features = schema["features"]
    for start in range(0, len(features), 10):
        batch = features[start : start + 10]
        aggs = []
        for i, f in enumerate(batch):
            c = F.col(f["name"])
            scalar = not f.get("isList") and f["type"] != "BYTES"
            aggs += [
                F.count(c).alias(f"c{i}"),
                (F.count(F.lit(1)) - F.count(c)).alias(f"n{i}"),
                (stat_text(f, F.min(c)) if scalar else F.lit(None).cast("string")).alias(f"lo{i}"),
                (stat_text(f, F.max(c)) if scalar else F.lit(None).cast("string")).alias(f"hi{i}"),
                (F.avg(c) if scalar and f["type"] in numeric else F.lit(None).cast("double")).alias(f"m{i}"),
                (F.stddev_samp(c) if scalar and f["type"] in numeric else F.lit(None).cast("double")).alias(f"s{i}"),
                (F.lit(None).cast("long") if f.get("isList") else F.count_distinct(c) if few_rows else F.approx_count_distinct(c, 0.01)).alias(f"d{i}"),
            ]
        row = frame.agg(*aggs).collect()[0].asDict()
        few = [] if few_rows else [(i, f) for i, f in enumerate(batch) if not f.get("isList") and (row[f"d{i}"] or 0) < EXACT_DISTINCT_BELOW]
        exact = frame.agg(*[F.count_distinct(F.col(f["name"])).alias(f"x{i}") for i, f in few]).collect()[0].asDict() if few else {}
        for i, f in enumerate(batch):
            out[f["name"]] = {
                "count": row[f"c{i}"],
                "nullCount": row[f"n{i}"],
                "min": row[f"lo{i}"] or "",
                "max": row[f"hi{i}"] or "",
                "mean": row[f"m{i}"] or 0.0,
                "stddev": row[f"s{i}"] or 0.0,
                "approxDistinct": exact.get(f"x{i}", row[f"d{i}"] or 0),
            }
    return {"statistics": out}


# --- Ingest: the one conversion rule (shared/core/values.ts), as the DuckDB engine applies it
# (shared/adapters/engine/duckdb/conversion.ts): every source value converts to its feature's type
# exactly or the row is refused. Each conversion is a pair of Column expressions: the typed value,
# and a condition true where a non-null source value does not convert exactly.


class PlanError(Exception):
    """A refusal the caller shows as it is: a gRPC status name, the request field, row/column details."""

    def __init__(self, code, message, field="", details=None):
        super().__init__(message)
        self.code, self.message, self.field, self.details = code, message, field, details or []


# Type names in messages: the same words whichever engine refused the value.
MESSAGE_TYPES = {
    "STRING": "VARCHAR",
    "BOOL": "BOOLEAN",
    "INT32": "INTEGER",
    "INT64": "BIGINT",
    "FLOAT32": "FLOAT",
    "FLOAT64": "DOUBLE",
    "TIMESTAMP": "TIMESTAMPTZ",
    "DATE": "DATE",
    "BYTES": "BLOB",
}

MAX_DETAILS = 100
TWO_53 = 9007199254740992
INTEGER_TEXT = r"^\s*[+-]?[0-9]+(\.0*)?\s*$"
NUMBER_TEXT = r"^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$"
# The text forms of times both engines read alike: a date, optionally a time of day with seconds and
# a fraction, optionally a zone (Z, +hh, +hhmm, +hh:mm).
TIME_TEXT = r"^\s*[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([T ][0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?)?\s*(Z|[+-][0-9]{2}(:?[0-9]{2})?)?\s*$"
SUB_MICRO = r"\.[0-9]{6}[0-9]*[1-9]"
BOOL_TEXT = r"^(?i)(t|true|y|yes|1|f|false|n|no|0)$"
BASE64_TEXT = r"^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
LIST_TEXT = r"^\s*\[.*\]\s*$"

INTEGRAL = (T.ByteType, T.ShortType, T.IntegerType, T.LongType)


def finite(x):
    return x.isNotNull() & ~F.isnan(x) & (F.abs(x) != F.lit(float("inf")))


def no(t):
    return F.lit(None).cast(SPARK_TYPES[t]), F.lit(False)


def from_text(t, x):
    """Text (a CSV cell, a JSON string): parsed as the type; integers must be written as integers."""
    if t == "STRING":
        return x, F.instr(x, "\u0000") == 0
    if t == "BOOL":
        v = x.try_cast("boolean")
        return v, x.rlike(BOOL_TEXT) & v.isNotNull()
    if t in ("INT32", "INT64"):
        v = F.regexp_extract(x, r"^\s*([+-]?[0-9]+)", 1).try_cast(SPARK_TYPES[t])
        return v, x.rlike(INTEGER_TEXT) & v.isNotNull()
    if t in ("FLOAT32", "FLOAT64"):
        v = x.try_cast(SPARK_TYPES[t])
        return v, F.coalesce(x.rlike(NUMBER_TEXT) & finite(v), F.lit(False))
    if t == "TIMESTAMP":
        v = x.try_cast("timestamp")
        return v, F.coalesce(x.rlike(TIME_TEXT) & ~x.rlike(SUB_MICRO) & v.isNotNull(), F.lit(False))
    if t == "DATE":
        v = x.try_cast("date")
        stamp = x.try_cast("timestamp")
        same = F.coalesce(stamp == v.cast("timestamp"), F.lit(True))
        return v, F.coalesce(x.rlike(TIME_TEXT) & ~x.rlike(SUB_MICRO) & v.isNotNull() & same, F.lit(False))
    if t == "BYTES":
        # Bytes as text are base64 (as in the proto3 JSON mapping), in CSV cells and JSON strings alike.
        ok = x.rlike(BASE64_TEXT)
        return F.when(ok, F.unbase64(x)), ok
    raise ValueError(t)


def from_integer(t, n):
    """An exact integer (an integral or decimal(p, 0) Column)."""
    if t in ("INT32", "INT64"):
        v = n.try_cast(SPARK_TYPES[t])
        return v, v.isNotNull()
    if t in ("FLOAT32", "FLOAT64"):
        v = n.try_cast(SPARK_TYPES[t])
        return v, F.coalesce(v.try_cast("decimal(38,0)") == n.try_cast("decimal(38,0)"), F.lit(False))
    return no(t)


def from_float(t, d):
    """A floating-point number (a double Column): whole and below 2^53 for integers, finite in range for floats."""
    if t in ("INT32", "INT64"):
        v = d.try_cast(SPARK_TYPES[t])
        return v, F.coalesce(finite(d) & (d == F.floor(d)) & (F.abs(d) < F.lit(float(TWO_53))) & v.isNotNull(), F.lit(False))
    if t in ("FLOAT32", "FLOAT64"):
        v = d.cast(SPARK_TYPES[t])
        return v, F.coalesce(finite(d) & finite(v), F.lit(False))
    return no(t)


def from_json(t, j):
    """A JSON value (a variant Column): its JSON kind decides which rule applies. Numbers written with
    a fraction or an exponent are floating point (a variant keeps them as decimals: read as doubles)."""
    kind = F.schema_of_variant(j)
    text = from_text(t, F.try_variant_get(j, "$", "string"))
    integer = from_integer(t, F.try_variant_get(j, "$", "bigint"))
    floating = from_float(t, F.try_variant_get(j, "$", "double"))
    boolean = (F.try_variant_get(j, "$", "boolean"), F.lit(True)) if t == "BOOL" else no(t)
    null = (F.lit(None).cast(SPARK_TYPES[t]), F.lit(True))

    def pick(i):
        return (
            F.when(kind == "STRING", text[i])
            .when(kind == "BIGINT", integer[i])
            .when(kind.startswith("DECIMAL") | (kind == "DOUBLE") | (kind == "FLOAT"), floating[i])
            .when(kind == "BOOLEAN", boolean[i])
            .when(kind == "VOID", null[i])
            .otherwise(no(t)[i])
        )

    return pick(0), pick(1)


def from_native(t, x, source):
    """A value of a Spark type (a Parquet column)."""
    if isinstance(source, T.StringType):
        return from_text(t, x)
    if isinstance(source, T.VariantType):
        return from_json(t, x)
    if isinstance(source, INTEGRAL):
        return no(t) if t in ("STRING", "BOOL") else from_integer(t, x)
    if isinstance(source, (T.FloatType, T.DoubleType)):
        return from_float(t, x.cast("double"))
    if isinstance(source, T.DecimalType):
        if t in ("INT32", "INT64"):
            v = x.try_cast(SPARK_TYPES[t])
            return v, F.coalesce((x == F.floor(x)) & v.isNotNull(), F.lit(False))
        return from_float(t, x.cast("double")) if t in ("FLOAT32", "FLOAT64") else no(t)
    if isinstance(source, T.BooleanType):
        return (x, F.lit(True)) if t == "BOOL" else no(t)
    if isinstance(source, T.BinaryType):
        return (x, F.lit(True)) if t == "BYTES" else no(t)
    if isinstance(source, T.DateType):
        if t == "DATE":
            return x, F.lit(True)
        return (x.cast("timestamp"), F.lit(True)) if t == "TIMESTAMP" else no(t)
    if isinstance(source, (T.TimestampType, T.TimestampNTZType)):
        # Naive timestamps are UTC (the session's time zone).
        stamp = x.cast("timestamp")
        if t == "TIMESTAMP":
            return stamp, F.lit(True)
        if t == "DATE":
            return stamp.cast("date"), stamp.cast("date").cast("timestamp") == stamp
    return no(t)


def text_list(x):
    """A list written as text ([1, 2.0, null]): items trimmed, null or NULL for a missing item, quotes removed."""
    inner = F.regexp_replace(x, r"^\s*\[|\]\s*$", "")
    items = F.when(F.trim(inner) == "", F.array().cast("array<string>")).otherwise(F.split(inner, ","))
    items = F.transform(items, lambda e: F.regexp_replace(F.trim(e), r"^'(.*)'$|^\"(.*)\"$", "$1$2"))
    return F.transform(items, lambda e: F.when(F.lower(e) == "null", F.lit(None)).otherwise(e))


def convert(feature, x, source):
    """Column x of Spark type `source` converted to the feature's type: (value, bad)."""
    t = feature["type"]
    target = spark_type(feature)
    source_is_list = isinstance(source, T.ArrayType)
    if not feature.get("isList"):
        if source_is_list:
            return F.lit(None).cast(target), x.isNotNull()
        v, ok = from_native(t, x, source)
        return F.when(ok, v).cast(target), x.isNotNull() & ~F.coalesce(ok, F.lit(False))
    if source_is_list:
        items, item, is_list = x, source.elementType, F.lit(True)
    elif isinstance(source, T.VariantType):
        items, item = F.try_variant_get(x, "$", "array<variant>"), T.VariantType()
        is_list = F.schema_of_variant(x).startswith("ARRAY")
    elif isinstance(source, T.StringType):
        items, item, is_list = text_list(x), T.StringType(), x.rlike(LIST_TEXT)
    else:
        return F.lit(None).cast(target), x.isNotNull()
    all_ok = F.coalesce(F.forall(items, lambda e: e.isNull() | F.coalesce(from_native(t, e, item)[1], F.lit(False))), F.lit(True))
    ok = F.coalesce(is_list & all_ok, F.lit(False))
    value = F.when(ok, F.transform(items, lambda e: from_native(t, e, item)[0])).cast(target)
    return value, x.isNotNull() & ~ok


def shown(x):
    """A source value in a message: its first 60 characters, NUL shown as \\0 (catalog text cannot hold it)."""
    return F.replace(F.substring(x, 1, 60), F.lit("\u0000"), F.lit("\\0"))


def source_text(x, source):
    return F.to_json(x) if isinstance(source, T.VariantType) else x.cast("string")


def engine_message(err):
    """An engine error for a client: its first line, without Java class prefixes or local paths."""
    text = str(err).strip().split("\n")[0]
    text = re.sub(r"^\[[A-Z_.]+\]\s*", "", text)
    text = re.sub(r"(^|[\s\"'(])(file:)?/[^\s\"',)]+", lambda m: f"{m.group(1)}<file>", text)
    return text[:300]


def qualified(spark, uri):
    jvm = spark._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    return path.getFileSystem(spark._jsc.hadoopConfiguration()).makeQualified(path).toUri().toString()


def read_source(spark, plan):
    """The source as read: a frame of its columns, their Spark types, and the frame with each row's
    place (file, block, id within the partition) for naming rows."""
    src = plan["source"]
    files, fmt = src["files"], src["format"]
    try:
        if fmt == "PARQUET":
            raw = spark.read.option("mergeSchema", True).parquet(*files)
            place = raw.select("*", *place_columns())
            frame = raw
        elif fmt == "CSV":
            csv = src.get("csv") or {}
            header = csv.get("header", True)
            raw = (
                spark.read.option("header", header)
                .option("sep", csv.get("delimiter", ","))
                .option("mode", "FAILFAST")
                .option("inferSchema", False)
                .csv(files)
            )
            if not header:
                raw = raw.toDF(*[f"column{i}" for i in range(len(raw.columns))])
            place = raw.select("*", *place_columns())
            frame = raw
        else:
            lines = spark.read.text(files).where(F.trim("value") != "")
            with_place = lines.select("value", *place_columns())
            if plan.get("distinct"):
                with_place = lines.distinct().select("value", F.lit("").alias("__fs_file"), F.lit(0).cast("long").alias("__fs_block"), F.monotonically_increasing_id().alias("__fs_id"))
            parsed = with_place.select("*", F.try_parse_json("value").alias("__fs_v"))
            unreadable = parsed.where(F.col("__fs_v").isNull() | ~F.schema_of_variant("__fs_v").startswith("OBJECT")).limit(1).collect()
            if unreadable:
                raise PlanError("INVALID_ARGUMENT", "cannot read the source as JSONL: a line is not a JSON object", "source")
            names = sorted(r[0] for r in parsed.select(F.explode(F.map_keys(F.try_variant_get("__fs_v", "$", "map<string,variant>")))).distinct().collect())
            cols = [F.try_variant_get("__fs_v", f"$['{n}']", "variant").alias(n) for n in names if "'" not in n]
            place = parsed.select(*cols, "__fs_file", "__fs_block", "__fs_id")
            frame = place.drop("__fs_file", "__fs_block", "__fs_id")
            return frame, {n: T.VariantType() for n in frame.columns}, place
        if plan.get("distinct"):
            frame = frame.distinct()
            place = frame.select("*", F.lit("").alias("__fs_file"), F.lit(0).cast("long").alias("__fs_block"), F.monotonically_increasing_id().alias("__fs_id"))
        return frame, {f.name: f.dataType for f in frame.schema.fields}, place
    except PlanError:
        raise
    except Exception as err:
        raise PlanError("INVALID_ARGUMENT", f"cannot read the source as {fmt}: {engine_message(err)}", "source") from err


def place_columns():
    return [F.input_file_name().alias("__fs_file"), F.input_file_block_start().alias("__fs_block"), F.monotonically_increasing_id().alias("__fs_id")]


def row_hash(frame_cols):
    """A 64-bit hash of a whole row, nulls in place (xxhash64 alone skips nulls: (null, 5) and (5, null) would hash alike)."""
    return F.xxhash64(*[part for c in frame_cols for part in (c, c.isNull())])


def bad_row_details(spark, place, checks, files, field):
    """Exact row and column detail for the first bad rows: row numbers count data rows over the
    source's files in the plan's order, as the DuckDB engine numbers them."""
    order = {qualified(spark, f): i for i, f in enumerate(files)}
    blocks = place.groupBy("__fs_file", "__fs_block").agg(F.min("__fs_id").alias("lo"), F.count(F.lit(1)).alias("n")).collect()
    blocks.sort(key=lambda b: (order.get(b["__fs_file"], len(order)), b["__fs_file"], b["__fs_block"]))
    offsets, total = [], 0
    for b in blocks:
        offsets.append(F.struct(F.lit(b["__fs_file"]).alias("f"), F.lit(b["__fs_block"]).alias("b"), F.lit(total - b["lo"] + 1).alias("o")))
        total += b["n"]
    offset = F.array(*offsets) if offsets else F.array()
    row = F.col("__fs_id") + F.filter(offset, lambda o: (o["f"] == F.col("__fs_file")) & (o["b"] == F.col("__fs_block")))[0]["o"]
    any_bad = F.lit(False)
    for c in checks:
        any_bad = any_bad | F.coalesce(c["when"], F.lit(False))
    first = place.where(any_bad).select("*", row.alias("__fs_row")).orderBy("__fs_row").limit(MAX_DETAILS)
    found = first.select(
        "__fs_row",
        F.explode(F.filter(F.array(*[F.when(F.coalesce(c["when"], F.lit(False)), F.struct(F.lit(c["column"]).alias("column"), c["message"].alias("message"))) for c in checks]), lambda e: e.isNotNull())).alias("d"),
    ).collect()
    details = sorted(({"field": field, "row": r["__fs_row"], "column": r["d"]["column"], "message": r["d"]["message"]} for r in found), key=lambda d: (d["row"], d["column"]))
    return details[:MAX_DETAILS]


def run_ingest(spark, plan):
    if not plan["source"]["files"]:
        raise PlanError("INVALID_ARGUMENT", "matches no files", "source.uri")
    schema = plan["schema"]
    features = schema["features"]
    frame, types, place = read_source(spark, plan)
    present = set(frame.columns)
    et_name = schema["eventTimeColumn"]
    required = [*schema["primaryKey"], et_name]
    missing = [f["name"] for f in features if f["name"] not in present]
    missing_required = [n for n in missing if n in required]
    if missing_required:
        raise PlanError(
            "INVALID_ARGUMENT",
            f"the source lacks required column(s) {', '.join(missing_required)}",
            "source",
            [{"field": "source", "row": 0, "column": c, "message": "required (primary key or event time) but missing"} for c in missing_required],
        )
    by_name = {f["name"]: f for f in features}
    extra = [c for c in frame.columns if c not in by_name]
    if extra and plan["extraColumns"] == "FAIL":
        shown_names = ", ".join(extra) if len(extra) <= 20 else f"{', '.join(extra[:20])}, ... (first 20 of {len(extra):,})"
        raise PlanError(
            "INVALID_ARGUMENT",
            f"the source has {len(extra)} column(s) the schema does not: {shown_names}",
            "source",
            [{"field": "source", "row": 0, "column": c, "message": "not in the schema (extra_columns = FAIL)"} for c in extra[:MAX_DETAILS]],
        )
    conversions = {f["name"]: convert(f, F.col(f["name"]), types[f["name"]]) for f in features if f["name"] in present}
    et_value = conversions[et_name][0]
    latest = plan.get("latestEventTime")
    too_late = F.coalesce(et_value.cast("timestamp") > F.lit(parse_time(latest)), F.lit(False)) if latest else F.lit(False)
    checks = []
    for name, (value, bad) in conversions.items():
        label = MESSAGE_TYPES[by_name[name]["type"]] + ("[]" if by_name[name].get("isList") else "")
        checks.append({"column": name, "when": bad, "message": F.concat(F.lit(f"cannot be read as {label}: "), shown(source_text(F.col(name), types[name])))})
    checks.append(
        {
            "column": et_name,
            "when": too_late,
            "message": F.concat(F.lit(f"is more than {plan.get('latestEventTimeText') or 'the allowed time'} in the future: "), source_text(F.col(et_name), types[et_name])),
        }
    )
    for name in required:
        value, bad = conversions[name]
        what = "the event time" if name == et_name else "part of the primary key"
        checks.append({"column": name, "when": F.col(name).isNull() | (value.isNull() & ~bad), "message": F.lit(f"is null but is {what}")})
    any_bad = F.lit(False)
    for c in checks:
        any_bad = any_bad | F.coalesce(c["when"], F.lit(False))

    # One pass: rows, bad rows and the event-time range (which stored rows can equal new ones).
    try:
        summary = frame.agg(
            F.count(F.lit(1)).alias("n"),
            F.sum(any_bad.cast("long")).alias("bad"),
            F.min(et_value.cast("timestamp")).alias("lo"),
            F.max(et_value.cast("timestamp")).alias("hi"),
        ).collect()[0]
    except Exception as err:
        raise PlanError("INVALID_ARGUMENT", f"the {plan['source']['format']} source could not be read; nothing was ingested: {engine_message(err)}", "source") from err
    input_rows, bad_rows = summary["n"], summary["bad"] or 0
    if bad_rows > 0:
        details = bad_row_details(spark, place, checks, plan["source"]["files"], "source")
        raise PlanError("INVALID_ARGUMENT", f"{bad_rows} row(s) do not fit the schema; nothing was ingested", "source", details)

    converted = frame.select(*[(conversions[f["name"]][0] if f["name"] in conversions else F.lit(None).cast(spark_type(f))).alias(f["name"]) for f in features])
    keys = [*schema["primaryKey"], et_name]
    if plan["existing"] and summary["lo"] is not None:
        # Only stored rows inside the new rows' event-time range can equal one of them; the join
        # holds key, event time and a 64-bit hash of the whole row per stored row, not every column.
        stored_rows = spark.read.option("mergeSchema", True).parquet(*plan["existing"])
        stored_rows = stored_rows.select(*[F.col(f["name"]) if f["name"] in stored_rows.columns else F.lit(None).cast(spark_type(f)).alias(f["name"]) for f in features])
        stored_rows = stored_rows.where(F.col(et_name).between(F.lit(summary["lo"]), F.lit(summary["hi"])))
        stored_keys = stored_rows.select(*keys, row_hash([F.col(f["name"]) for f in features]).alias("__fs_h"))
        converted = converted.withColumn("__fs_h", row_hash([F.col(f["name"]) for f in features]))
        converted = converted.join(stored_keys, [*keys, "__fs_h"], "left_anti").drop("__fs_h")
    files = write_files(spark, converted, plan["outputDir"])
    written = spark.read.parquet(*files).count() if files else 0
    if written == 0:
        remove(spark, files)
        files = []
    statistics = run_statistics(spark, {"schema": schema, "files": [*plan["existing"], *files]})["statistics"]
    return {
        "files": files,
        "inputRows": input_rows,
        "rows": written,
        "duplicateRows": input_rows - written,
        "droppedColumns": extra,
        "missingColumns": missing,
        "statistics": statistics,
    }


def write_files(spark, frame, output_dir):
    """Parquet files (zstd) in output_dir as part-<i>.parquet: Spark's part files renamed."""
    staging = f"{output_dir.rstrip('/')}/_spark"
    frame.write.mode("overwrite").option("compression", "zstd").parquet(staging)
    jvm = spark._jvm
    path = jvm.org.apache.hadoop.fs.Path(staging)
    fs = path.getFileSystem(spark._jsc.hadoopConfiguration())
    parts = sorted((s.getPath() for s in fs.listStatus(path) if s.getPath().getName().startswith("part-")), key=lambda p: p.getName())
    out = []
    for i, part in enumerate(parts):
        target = jvm.org.apache.hadoop.fs.Path(f"{output_dir.rstrip('/')}/part-{i}.parquet")
        fs.rename(part, target)
        out.append(target.toString())
    fs.delete(path, True)
    return out


def remove(spark, files):
    jvm = spark._jvm
    for f in files:
        path = jvm.org.apache.hadoop.fs.Path(f)
        path.getFileSystem(spark._jsc.hadoopConfiguration()).delete(path, False)


def session():
    return (
        SparkSession.builder.appName("featurestore")
        .config("spark.sql.session.timeZone", "UTC")
        # Parquet timestamps as INT64 microseconds (what DuckDB and the rest of the store read), not INT96.
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.sql.legacy.parquet.nanosAsLong", "false")
        .config("spark.ui.enabled", "false")
        # Column names exactly as written (the store's names are case-sensitive, as in DuckDB's files).
        .config("spark.sql.caseSensitive", "true")
        .getOrCreate()
    )


def without_checksums(spark):
    """
    Local files without Hadoop's .crc companions (an offline store on local disk holds only the store's
    files): the cached local file system stops writing them. Not fs.file.impl=RawLocalFileSystem:
    s3a buffers its uploads through FileSystem.getLocal, which must be a LocalFileSystem.
    """
    spark._jvm.org.apache.hadoop.fs.FileSystem.getLocal(spark._jsc.hadoopConfiguration()).setWriteChecksum(False)


def run(spark, plan, result_path):
    kind = plan["kind"]
    if kind == "retrieve":
        return run_retrieve(spark, plan)
    if kind == "training-set":
        return run_training_set(spark, plan)
    if kind == "newest-per-key":
        return run_newest_per_key(spark, plan, f"{result_path}.rows.jsonl")
    if kind == "reverted-keys":
        return run_reverted_keys(spark, plan, f"{result_path}.rows.jsonl")
    if kind == "statistics":
        return run_statistics(spark, plan)
    if kind == "ingest":
        return run_ingest(spark, plan)
    raise ValueError(f"plan kind {kind} is not run by this runner yet")


def read_text(spark, path):
    """A whole small file (the plan): a local path, or a URI read through Hadoop (s3a://, abfss://, file://)."""
    if "://" not in path:
        with open(path) as f:
            return f.read()
    jvm = spark._jvm
    p = jvm.org.apache.hadoop.fs.Path(path)
    stream = p.getFileSystem(spark._jsc.hadoopConfiguration()).open(p)
    try:
        return jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8")
    finally:
        stream.close()


def write_text(spark, path, text):
    """The result file, written whole (Hadoop's create then close: readers see it complete or not at all on object stores)."""
    if "://" not in path:
        with open(path, "w") as f:
            f.write(text)
        return
    jvm = spark._jvm
    p = jvm.org.apache.hadoop.fs.Path(path)
    out = p.getFileSystem(spark._jsc.hadoopConfiguration()).create(p, True)
    try:
        out.write(bytearray(text.encode("utf-8")))
    finally:
        out.close()


def proto_dir():
    """Where proto/ is: FEATURESTORE_PROTO_DIR, beside the runner (the job image), or the repo's."""
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.environ.get("FEATURESTORE_PROTO_DIR"), os.path.join(here, "proto"), os.path.join(here, *[".."] * 5, "proto")]
    for candidate in candidates:
        if candidate and os.path.exists(os.path.join(candidate, "featurestore", "v1", "job_runner.proto")):
            return os.path.abspath(candidate)
    raise RuntimeError("featurestore/v1/job_runner.proto not found: set FEATURESTORE_PROTO_DIR to the repo's proto folder")


class CoreChannel:
    """The runner's side of JobRunnerService: the job's credential on every call."""

    # Answers worth waiting out: the core restarting or scaled to zero (UNAVAILABLE), and a report
    # that arrives before the core has recorded the hand-off (UNAUTHENTICATED for a few milliseconds).
    RETRIED = ("UNAVAILABLE", "DEADLINE_EXCEEDED", "UNAUTHENTICATED")

    def __init__(self, target):
        import grpc  # only spark-k8s needs it

        m = re.fullmatch(r"(grpcs?)://([^/]+)/jobs/([^/]+)", target)
        if not m:
            raise ValueError(f"the report target {target} is not grpc://<host:port>/jobs/<job id>")
        token = os.environ.get("FEATURESTORE_JOB_TOKEN")
        if not token:
            raise RuntimeError("FEATURESTORE_JOB_TOKEN is not set: the driver takes the job's credential from the job's Secret")
        self.grpc = grpc
        self.job_id = m.group(3)
        sys.path.insert(0, proto_dir())
        self.protos, services = grpc.protos_and_services("featurestore/v1/job_runner.proto")
        channel = grpc.secure_channel(m.group(2), grpc.ssl_channel_credentials()) if m.group(1) == "grpcs" else grpc.insecure_channel(m.group(2))
        self.stub = services.JobRunnerServiceStub(channel)
        self.metadata = (("authorization", f"Bearer {token}"),)

    def progress(self, fraction, message):
        """Best effort: a lost progress report is not worth failing the job for."""
        try:
            request = self.protos.ReportProgressRequest(job_id=self.job_id, fraction=fraction, message=message[:500])
            self.stub.ReportProgress(request, metadata=self.metadata, timeout=10)
        except self.grpc.RpcError:
            pass

    def result(self, outcome_json, patience=120):
        """Reports the result, retrying while the core cannot take it; raises once it refuses or `patience` seconds pass."""
        request = self.protos.ReportResultRequest(job_id=self.job_id, outcome_json=outcome_json)
        deadline, wait = time.monotonic() + patience, 0.5
        while True:
            try:
                self.stub.ReportResult(request, metadata=self.metadata, timeout=30)
                return
            except self.grpc.RpcError as err:
                code = err.code().name
                if code not in self.RETRIED or time.monotonic() + wait > deadline:
                    raise RuntimeError(f"the core did not take the result ({code}: {err.details()})") from None
                time.sleep(wait)
                wait = min(wait * 2, 10)


def follow_progress(spark, channel, every=2.0):
    """Reports what runs, every `every` seconds, until the returned function is called."""
    stop = threading.Event()
    tracker = spark.sparkContext.statusTracker()
    seen = {}  # stage id -> (completed tasks, tasks)
    fraction = [0.0]

    def loop():
        while not stop.wait(every):
            try:
                stages = [s for s in (tracker.getStageInfo(i) for i in tracker.getActiveStageIds()) if s is not None]
            except Exception:  # the context is stopping
                return
            for s in stages:
                seen[s.stageId] = (s.numCompletedTasks, s.numTasks)
            done, total = sum(c for c, _ in seen.values()), sum(t for _, t in seen.values())
            # New stages add tasks as the plan unfolds: the fraction never goes back.
            fraction[0] = max(fraction[0], done / total if total else 0.0)
            now = ", ".join(f"stage {s.stageId}: {s.numCompletedTasks}/{s.numTasks} tasks" for s in stages)
            channel.progress(fraction[0], now or "between stages")

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()

    def end():
        stop.set()
        thread.join(timeout=15)

    return end


def main(argv):
    """One plan, or a list of plans run in one session (tests: one JVM start for many plans)."""
    plan_path, target = argv[1], argv[2]
    channel = CoreChannel(target) if re.match(r"grpcs?://", target) else None
    # Where side files go: named after the result file, or beside the plan when the result is reported.
    result_path = f"{plan_path.rsplit('/', 1)[0]}/result.json" if channel else target
    spark = session()
    without_checksums(spark)
    spark.sparkContext.setLogLevel("WARN")
    end_progress = follow_progress(spark, channel) if channel else lambda: None
    if channel:
        channel.progress(0.0, "started")
    plans = json.loads(read_text(spark, plan_path))
    outcomes = []
    for i, plan in enumerate(plans if isinstance(plans, list) else [plans]):
        try:
            outcomes.append({"ok": True, **run(spark, plan, f"{result_path}.{i}")})
        except PlanError as err:  # a refusal (bad input): shown to the client as it is
            outcomes.append({"ok": False, "code": err.code, "error": err.message, "field": err.field, "details": err.details})
        except Exception as err:  # reported to the store as the job's error; the driver exits non-zero
            outcomes.append({"ok": False, "code": "INTERNAL", "error": str(err)[:2000]})
    end_progress()
    text = json.dumps(outcomes if isinstance(plans, list) else outcomes[0], default=str)
    if channel:
        try:
            channel.result(text)
        except RuntimeError as err:
            spark.stop()
            return fail(str(err))
    else:
        write_text(spark, result_path, text)
    spark.stop()
    failed = [o for o in outcomes if not o["ok"]]
    return fail(failed[0]["error"]) if failed else 0


def fail(message):
    """What the operator reports as the application's error: the last marked line of the driver's
    output here, the container's termination message in a pod. Returns the exit code."""
    print(f"featurestore-runner: error: {message}", file=sys.stderr)
    try:
        with open("/dev/termination-log", "w") as log:
            log.write(message)
    except OSError:
        pass
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
