"""The `shegong` command for operators: demo, serve, worker, manage, seed, open311, backup, restore.

A thin layer: it prepares the environment each command needs (the demo always uses the embedded SQLite
database; `serve` switches production hardening on), then hands over to Django management commands or to
`shegong.ops`. Every command except `demo` uses DATABASE_URL when it is set, otherwise the embedded SQLite
database of the data folder, so `shegong demo --no-serve` followed by `shegong manage …` works on the demo.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shegong.ops.bootstrap import OperatorError, manage, setup_django

DESCRIPTION = """\
Shegong 社工服务平台 — operator commands. 运维命令。

Start with `shegong demo` to try it on this computer. 先运行 `shegong demo` 在本机试用。
Every command except demo uses DATABASE_URL when set, otherwise the SQLite database in the data folder
(SHEGONG_DATA_DIR). 除 demo 外，设置了 DATABASE_URL 就用它，否则用数据目录中的 SQLite 数据库。
"""

EPILOG = "Help for one command: shegong COMMAND --help   单个命令的帮助：shegong 命令 --help"


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is between 1 and 65535, not {port}")
    return port


def _sub(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], name: str, summary: str, text: str):  # type: ignore[no-untyped-def]
    return subparsers.add_parser(
        name, help=summary, description=text, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shegong",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = _sub(
        commands,
        "demo",
        "try the platform on this computer 本机演示",
        """\
Create the demo database in the data folder, fill it with demo data and demo accounts (one per role,
printed with their password), then run a local server. Running it again keeps the data.
在数据目录中建立演示数据库、演示数据和每个角色一个演示账号（打印用户名和密码），然后启动本机服务器。
重复运行不会重复建数据。

The demo always uses the embedded SQLite database and ignores DATABASE_URL.
演示始终使用内置 SQLite 数据库，忽略 DATABASE_URL。""",
    )
    demo.add_argument("--port", type=_port, default=8000, help="port on 127.0.0.1 (default 8000) 端口")
    demo.add_argument(
        "--no-serve", action="store_true", help="prepare the data but do not start the server 只准备数据"
    )
    demo.add_argument("--reset", action="store_true", help="delete the demo database first 先删除演示数据库")

    serve = _sub(
        commands,
        "serve",
        "run the production web server 生产环境服务器",
        """\
Run the production web server (gunicorn; static files by whitenoise). Settings come from the environment
only: it refuses to start when SHEGONG_DEBUG is on, SECRET_KEY is missing or a development value, or
SHEGONG_FIELD_KEY is missing or invalid. It runs the deployment checks and collects static files first.
The database must be migrated (shegong manage migrate). Workers: SHEGONG_WEB_WORKERS (default 2 × cores + 1),
threads: SHEGONG_WEB_THREADS, request timeout: SHEGONG_WEB_TIMEOUT seconds. See docs/operations.md.
启动生产服务器。配置只从环境变量读取；调试模式、缺少或默认的密钥、缺少或无效的数据加密密钥时拒绝启动。""",
    )
    serve.add_argument(
        "--bind",
        default="0.0.0.0:8000",
        help="address:port or unix:/path to listen on (default 0.0.0.0:8000) 监听地址",
    )

    worker = _sub(
        commands,
        "worker",
        "run background tasks and periodic jobs 后台任务",
        """\
Run the background worker: queued tasks and periodic jobs (deadlines, reminders, rollups). Run one or
more next to the web server; stop it with Ctrl+C or SIGTERM (it finishes the task in hand).
Other options are passed to the run_worker command (shegong manage run_worker --help).
运行后台任务进程（排队任务和定时任务）。""",
    )
    worker.add_argument(
        "--once", action="store_true", help="do the waiting work once, then exit 处理一次后退出"
    )

    bench = _sub(
        commands,
        "bench",
        "run a benchmark; its last line is one JSON object 性能基准",
        """\
Run a benchmark on the configured database and print its result as one JSON object on the last line.
Benchmarks: stations (nearest open station among --n stations); intake (appeals filed through the API
by 32 clients against a server run as `shegong serve`, on a fresh PostgreSQL database that is dropped and
recreated: --database, default shegong_bench). Other options are passed through
(shegong manage bench_stations --help, shegong manage bench_intake --help). Record results in
bench/README.md.
运行性能基准测试，最后一行为 JSON 结果。""",
    )
    bench.add_argument("name", choices=["stations", "intake"], help="which benchmark 基准名称")

    drill = _sub(
        commands,
        "drill",
        "run a reliability or security drill; its last line is one JSON object 可靠性演练",
        """\
Run a drill and print what it tried and what held, with one JSON object on the last line.
Drills: crash (appeals filed under load while app workers are killed and a PostgreSQL cluster of its own is
restarted; every acknowledged appeal must exist exactly once); backup (backup and restore into an empty
database on SQLite and PostgreSQL; row counts and checksums must match). Other options are passed through
(shegong manage drill_crash --help, shegong manage drill_backup --help). See docs/security-drills.md.
运行可靠性/安全演练，最后一行为 JSON 结果。""",
    )
    drill.add_argument("name", choices=["crash", "backup"], help="which drill 演练名称")

    manage_cmd = _sub(
        commands,
        "manage",
        "Django's manage.py commands 管理命令",
        """\
Run any Django management command, exactly like manage.py: for example
  shegong manage migrate
  shegong manage createsuperuser
  shegong manage help            (lists every command 列出全部命令)
运行 Django 管理命令，与 manage.py 相同。""",
    )
    manage_cmd.add_argument("args", nargs=argparse.REMAINDER, help="the command and its options 命令及参数")

    smart = _sub(
        commands,
        "smart",
        "classifier evaluation and retraining 智能分类",
        """\
Smart dispatch commands, run as the management command smart_NAME with the options given:
  shegong smart eval FILE.jsonl   score the live classifier on labelled appeals; its last line is one
                                  JSON object (also --heldout, --demo)
  shegong smart retrain           rebuild the classifier from the seed corpus and dispatchers' corrections
Any other smart_NAME command runs the same way (NAME may use - for _).
Help for one: shegong manage smart_eval --help. See docs/smart.md.
智能分类命令：eval 用标注好的诉求评估分类器（最后一行为 JSON 结果），
retrain 用种子语料和派单纠正重新训练。""",
    )
    smart.add_argument("name", metavar="NAME", help="eval, retrain, … 命令名")
    smart.add_argument("args", nargs=argparse.REMAINDER, help="its file and options 文件及参数")

    seed = _sub(
        commands,
        "seed",
        "import reference data 导入基础数据",
        """\
Import reference data: the official division code list, a year's holiday calendar, or the demo data.
导入基础数据：行政区划代码、节假日安排、演示数据。""",
    )
    seeds = seed.add_subparsers(dest="what", metavar="WHAT", required=True)
    divisions = _sub(
        seeds,
        "divisions",
        "import the division code list from a CSV file 导入行政区划代码",
        """\
Import the official division code list (统计用区划代码) from a CSV file. Bad rows are reported with their
line numbers and nothing is imported, unless --skip-invalid is given. See docs/divisions.md.
从 CSV 文件导入行政区划代码；有错误行时整体不导入（除非 --skip-invalid）。""",
    )
    divisions.add_argument("file", metavar="FILE.csv", help="the CSV file CSV 文件")
    divisions.add_argument(
        "--skip-invalid", action="store_true", help="import the good rows, report the bad ones 跳过错误行"
    )
    divisions.add_argument(
        "--dry-run", action="store_true", help="check the file and report, write nothing 只检查不导入"
    )
    calendar = _sub(
        seeds,
        "calendar",
        "import the holiday and 调休 schedule 导入节假日安排",
        """\
Import holidays and 调休 working days for the working-day calendar, from a CSV file or from the
chinese-calendar package installed with Shegong. See docs/calendar.md.
导入节假日和调休安排：来自 CSV 文件或随程序安装的 chinese-calendar。""",
    )
    source = calendar.add_mutually_exclusive_group(required=True)
    source.add_argument("file", metavar="FILE.csv", nargs="?", help="the CSV file CSV 文件")
    source.add_argument(
        "--from-package", action="store_true", help="use the chinese-calendar package 使用内置数据"
    )
    _sub(
        seeds,
        "demo",
        "create the demo divisions and accounts 创建演示数据",
        """\
Create the demo divisions, units and one demo account per role (idempotent), in the configured database.
创建演示区划、单位和每个角色一个演示账号（可重复运行）。""",
    )

    _open311_parser(commands)

    backup = _sub(
        commands,
        "backup",
        "write a backup of all data to a file 备份全部数据",
        """\
Write a consistent backup of all data to FILE (a .tar.gz with a manifest: version, migrations, row counts
and checksums per table). SQLite: the SQLite backup API; PostgreSQL: pg_dump. The file is never overwritten.
It contains personal data (encrypted) — keep it as safe as the database. The encryption key
(SHEGONG_FIELD_KEY) is NOT in the backup: keep it separately, or the restored personal data is unreadable.
将全部数据一致地备份到文件。文件含个人信息（加密），请妥善保管；加密密钥不在备份中，需另行保存。""",
    )
    backup.add_argument(
        "file",
        metavar="FILE",
        type=Path,
        help="the backup file to create, e.g. shegong-2025-01-31.tar.gz 备份文件",
    )

    restore = _sub(
        commands,
        "restore",
        "restore a backup into an empty database 恢复备份",
        """\
Restore FILE into the configured database, which must be empty (no tables, or only an empty
django_migrations table). The engine (SQLite/PostgreSQL) must match the backup. After restoring, every
table's row count and checksum is compared with the backup; any difference is an error.
把备份恢复到空数据库（数据库类型须与备份相同），恢复后逐表核对行数和校验和。""",
    )
    restore.add_argument("file", metavar="FILE", type=Path, help="the backup file 备份文件")
    return parser


def _open311_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    open311 = _sub(
        commands,
        "open311",
        "Open311 keys for platform enterprises 平台企业的 Open311 密钥",
        """\
Manage the keys platform enterprises (美团, 饿了么, 顺丰…) use to file appeals through Open311 GeoReport v2
at /open311/v2/ (docs/open311.md). Each key belongs to the platform's account at one division; only its
hash is stored.
管理平台企业通过 Open311 接口提交诉求所用的密钥；每个密钥属于平台在某一区划的账号，只保存其摘要。""",
    )
    groups = open311.add_subparsers(dest="group", metavar="key", required=True)
    key = _sub(
        groups,
        "key",
        "create, list or revoke keys 创建、列出、吊销密钥",
        """\
Create, list or revoke Open311 keys. 创建、列出或吊销 Open311 密钥。""",
    )
    actions = key.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = _sub(
        actions,
        "create",
        "a new key for a platform at a division 为平台新建密钥",
        """\
Create a key for the platform NAME, filing inside the division PREFIX (e.g. 210105 for 皇姑区). The
platform's account there is made with its first key. The key is printed once, alone on the last line:
copy it now and give it to the platform; it cannot be shown again.
为平台新建密钥，只能在该区划内提交诉求；首个密钥同时建立平台账号。密钥只在最后一行显示一次，请立即复制交给平台。""",
    )
    create.add_argument(
        "--platform", required=True, metavar="NAME", help="the platform's name 平台名称，如 美团"
    )
    create.add_argument(
        "--division", required=True, metavar="PREFIX", help="division code prefix, e.g. 210105 区划代码前缀"
    )
    listing = _sub(
        actions,
        "list",
        "list keys, never showing them 列出密钥（不显示密钥本身）",
        """\
List the Open311 keys: platform, division, key prefix, created, last used, revoked. The keys themselves
are not stored and never shown.
列出密钥：平台、区划、密钥前缀、创建时间、最近使用、吊销时间；不显示密钥本身。""",
    )
    listing.add_argument("--platform", metavar="NAME", help="only this platform 只列该平台")
    listing.add_argument("--division", metavar="PREFIX", help="only inside this division 只列该区划内")
    listing.add_argument("--active", action="store_true", help="leave revoked keys out 不列已吊销的")
    revoke = _sub(
        actions,
        "revoke",
        "stop a key working 吊销密钥",
        """\
Revoke a key, given its id or prefix from `shegong open311 key list`; it stops working at once.
吊销密钥（用列表中的编号或前缀），立即失效。""",
    )
    revoke.add_argument("key", metavar="PREFIX_OR_ID", help="the key's id or prefix 密钥编号或前缀")


def _open311_argv(args: argparse.Namespace) -> list[str]:
    if args.action == "create":
        return ["open311", "key", "create", "--platform", args.platform, "--division", args.division]
    if args.action == "list":
        options = (("--platform", args.platform), ("--division", args.division))
        words = [word for flag, value in options if value for word in (flag, value)]
        return ["open311", "key", "list", *words, *(["--active"] if args.active else [])]
    return ["open311", "key", "revoke", args.key]


def _backup(file: Path) -> int:
    from django.utils.translation import gettext as _

    from shegong.ops.backup import ENGINE_NAMES, create_backup, total_rows

    setup_django()
    manifest = create_backup(file)
    rows = total_rows(manifest)
    print(
        _("Backup written to {path}: {tables} tables, {rows} rows ({engine}).").format(
            path=file, tables=len(manifest["tables"]), rows=rows, engine=ENGINE_NAMES[manifest["engine"]]
        )
    )
    return 0


def _restore(file: Path) -> int:
    from django.utils.translation import gettext as _

    from shegong.ops.backup import restore_backup, total_rows

    setup_django()
    manifest, pending = restore_backup(file)
    rows = total_rows(manifest)
    print(
        _("Restored {path} (made {created}): {tables} tables, {rows} rows, all checksums match.").format(
            path=file, created=manifest["created_at"], tables=len(manifest["tables"]), rows=rows
        )
    )
    if pending:
        print(_("This version has newer migrations than the backup. Run: shegong manage migrate"))
    return 0


def dispatch(args: argparse.Namespace, extra: list[str]) -> int:
    if args.command == "demo":
        from shegong.ops import demo

        return demo.run(port=args.port, serve=not args.no_serve, reset=args.reset)
    if args.command == "serve":
        from shegong.ops import serve

        return serve.run(bind=args.bind)
    if args.command == "worker":
        return manage(["run_worker", *(["--once"] if args.once else []), *extra])
    if args.command == "manage":
        return manage([*extra, *args.args])
    if args.command == "bench":
        return manage([f"bench_{args.name}", *extra])
    if args.command == "drill":
        return manage([f"drill_{args.name}", *extra])
    if args.command == "smart":
        return manage([f"smart_{args.name.replace('-', '_')}", *args.args, *extra])
    if args.command == "seed":
        if args.what == "divisions":
            options = (("--skip-invalid", args.skip_invalid), ("--dry-run", args.dry_run))
            flags = [flag for flag, on in options if on]
            return manage(["seed_divisions", args.file, *flags])
        if args.what == "calendar":
            return manage(
                ["seed_calendar", "--from-package"] if args.from_package else ["seed_calendar", args.file]
            )
        return manage(["demo_seed"])
    if args.command == "open311":
        return manage(_open311_argv(args))
    if args.command == "backup":
        return _backup(args.file)
    return _restore(args.file)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `shegong` console script; exits with the command's status."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command not in {"worker", "manage", "bench", "smart", "drill"}:
        parser.error("unrecognized arguments: " + " ".join(extra))
    try:
        code = dispatch(args, extra)
    except OperatorError as exc:
        print(f"shegong {args.command}: {exc}", file=sys.stderr)
        code = exc.exit_code
    except KeyboardInterrupt:
        print(file=sys.stderr)
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    main()
