"""The Spark job runner: executes one engine-neutral plan (shared/core/plans.ts) on Apache Spark.

  spark-submit runner.py <plan.json> <result.json>

(plan.json may hold a list of plans: they run in one session and result.json holds a list.)

The plan is the same plain data the DuckDB engine executes, as JSON (times as ISO 8601 text, stored
files as URIs Spark reads: file://, s3a://, wasb(s)://, abfss://). The result is JSON: the files
written and their row count, statistics, or the path of a JSON-lines file of online-form rows.

PySpark rather than Scala: no build step (the job is this one file, shipped with the image and
given to spark-submit as is), and every step is a DataFrame expression that runs in the JVM: no
Python UDF touches a row, so it costs what Scala would.
"""

import json
import sys
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
    writer = frame.coalesce(1).write.mode("overwrite")
    if fmt == "CSV":
        writer.option("header", True).option("timestampFormat", "yyyy-MM-dd HH:mm:ss.SSSSSSXXX").csv(staging)
    else:
        writer.parquet(staging)
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


def run_retrieve(spark, plan):
    schema = plan["schema"]
    frame = in_range(stored(spark, plan["files"], schema), schema["eventTimeColumn"], plan.get("startTime"), plan.get("endTime"))
    frame = frame.select(*[F.col(c) for c in plan["columns"]]).orderBy(*[F.col(c) for c in plan["orderBy"]])
    rows = frame.count()
    file = write_one_file(spark, frame, plan["outputDir"], plan["format"])
    return {"files": [file], "rows": rows}


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
    rows = result.count()
    write_json_lines(spark, result, out)
    return {"rows": rows, "output": out}


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
    rows = out_frame.count()
    write_json_lines(spark, out_frame, out)
    return {"rows": rows, "output": out}


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


def read_entities(spark, entities):
    files, fmt = entities["files"], entities["format"]
    if fmt == "CSV":
        csv = entities.get("csv") or {}
        return (
            spark.read.option("header", csv.get("header", True))
            .option("sep", csv.get("delimiter", ","))
            # Other entity columns typed as read (keys and the timestamp are cast to the feature sets' types).
            .option("inferSchema", True)
            .csv(files)
        )
    if fmt == "PARQUET":
        return spark.read.parquet(*files)
    return spark.read.json(files)


def run_training_set(spark, plan):
    """
    A point-in-time join without an AS OF join (Spark has no efficient one): per side, the entity
    rows and the side's rows in one window per key ordered by time, side rows first on equal times
    and, among those, the later ingest last; each entity row takes the last side row before it.
    """
    ts = plan["timestampColumn"]
    sides = plan["sides"]
    raw = read_entities(spark, plan["entities"])
    columns = raw.columns
    key_types = {}
    for s in sides:
        for k in s["schema"]["primaryKey"]:
            key_types.setdefault(k, spark_type(next(f for f in s["schema"]["features"] if f["name"] == k)))
    entity = raw.withColumn("__fs_row", F.monotonically_increasing_id())
    entity = entity.withColumn(ts, F.col(ts).cast("timestamp"))
    for k, t in key_types.items():
        entity = entity.withColumn(k, F.col(k).cast(t))
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
            *[F.col(k).alias(f"__fs_k{j}") for j, k in enumerate(keys)],
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
    rows = result.count()
    file = write_one_file(spark, result, plan["outputDir"], plan["format"])
    return {"files": [file], "rows": rows}


def stat_text(feature, x):
    """min and max as text, written as DuckDB writes them (statistics read the same whichever engine made them)."""
    t = feature["type"]
    if t == "TIMESTAMP":
        micros = F.pmod(F.unix_micros(x), F.lit(1000000))
        frac = F.when(micros == 0, F.lit("")).otherwise(F.concat(F.lit("."), F.regexp_replace(F.lpad(micros.cast("string"), 6, "0"), "0+$", "")))
        return F.when(x.isNull(), F.lit(None)).otherwise(F.concat(F.date_format(x, "yyyy-MM-dd HH:mm:ss"), frac, F.lit("+00")))
    return x.cast("string")


# As the DuckDB engine: distinct counts below this are exact, above it estimated.
EXACT_DISTINCT_BELOW = 16384


def run_statistics(spark, plan):
    schema = plan["schema"]
    if not plan["files"]:
        return {"statistics": {}}
    frame = spark.read.parquet(*plan["files"])
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
                (F.approx_count_distinct(c, 0.01) if not f.get("isList") else F.lit(None).cast("long")).alias(f"d{i}"),
            ]
        row = frame.agg(*aggs).collect()[0].asDict()
        few = [(i, f) for i, f in enumerate(batch) if not f.get("isList") and (row[f"d{i}"] or 0) < EXACT_DISTINCT_BELOW]
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


def session():
    return (
        SparkSession.builder.appName("featurestore")
        .config("spark.sql.session.timeZone", "UTC")
        # Parquet timestamps as INT64 microseconds (what DuckDB and the rest of the store read), not INT96.
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.sql.legacy.parquet.nanosAsLong", "false")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )


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
    raise ValueError(f"plan kind {kind} is not run by this runner yet")


def main(argv):
    """One plan, or a list of plans run in one session (tests: one JVM start for many plans)."""
    plan_path, result_path = argv[1], argv[2]
    with open(plan_path) as f:
        plans = json.load(f)
    spark = session()
    spark.sparkContext.setLogLevel("WARN")
    outcomes = []
    for i, plan in enumerate(plans if isinstance(plans, list) else [plans]):
        try:
            outcomes.append({"ok": True, **run(spark, plan, f"{result_path}.{i}")})
        except Exception as err:  # reported to the store as the job's error; the driver exits non-zero
            outcomes.append({"ok": False, "error": str(err)[:2000]})
    with open(result_path, "w") as f:
        json.dump(outcomes if isinstance(plans, list) else outcomes[0], f, default=str)
    spark.stop()
    failed = [o for o in outcomes if not o["ok"]]
    if failed:
        # What the operator reports as the application's error: the last marked line of the
        # driver's output here, the container's termination message in a pod.
        print(f"featurestore-runner: error: {failed[0]['error']}", file=sys.stderr)
        try:
            with open("/dev/termination-log", "w") as log:
                log.write(failed[0]["error"])
        except OSError:
            pass
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
