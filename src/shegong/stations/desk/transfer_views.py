"""Excel import and export of stations, under /desk/stations/transfer/.

Import is two steps: the upload is checked as a workbook and kept server-side (DATA_DIR/tmp/stations-import,
a random name known only to the uploader's session, mode 0600), the preview shows every row's check, and
the confirmation imports it. Files are deleted after a clean import, and any left behind (a report still to
download, an abandoned preview) after UPLOAD_TTL_SECONDS, swept on every upload.

Permissions: import pages and the template need `stations:station:manage` somewhere (else 403), and each
row's division must be managed (else that row is invalid); the export needs `stations:station:view`
(a division filter outside the jurisdiction is a 404).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shegong.core.scoping import require_any_scope
from shegong.stations import exporting, importing
from shegong.stations.choices import StationsPerm
from shegong.stations.desk.transfer_forms import ConfirmForm, ExportForm, UploadForm
from shegong.stations.importing import RowError, StationFileError

SESSION_KEY = "stations_transfer"
UPLOAD_TTL_SECONDS = 3600
MAX_UPLOADS_PER_SESSION = 5
PREVIEW_ROWS = 300  # rows listed on the preview; the counts and the error list cover all of them
SHOWN_ERRORS = 500
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


# --- the uploads folder ------------------------------------------------------------------------------------


def upload_folder() -> Path:
    folder = Path(settings.DATA_DIR) / "tmp" / "stations-import"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def purge_expired(folder: Path, *, now: float | None = None) -> None:
    cutoff = (now or time.time()) - UPLOAD_TTL_SECONDS
    for path in folder.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            continue  # another worker removed it first


def _paths(token: str) -> tuple[Path, Path]:
    folder = upload_folder()
    return folder / f"{token}.xlsx", folder / f"{token}.errors.json"


def _remove(token: str) -> None:
    for path in _paths(token):
        path.unlink(missing_ok=True)


def _save_upload(upload: Any) -> tuple[str, Path]:
    token = secrets.token_urlsafe(24)
    path, _report = _paths(token)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return token, path


def _entries(request: HttpRequest) -> dict[str, dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = request.session.get(SESSION_KEY, {})
    return entries


def _remember(request: HttpRequest, token: str, entry: dict[str, Any]) -> None:
    entries = _entries(request)
    entries[token] = entry
    for old in sorted(entries, key=lambda t: entries[t]["at"])[:-MAX_UPLOADS_PER_SESSION]:
        _remove(old)
        del entries[old]
    request.session[SESSION_KEY] = entries


def _entry_or_404(request: HttpRequest, token: str) -> tuple[dict[str, Any], Path]:
    """The upload `token` names if this session made it and it has not expired; else 404."""
    entry = _entries(request).get(token) if _TOKEN.match(token) else None
    path, _report = _paths(token) if entry else (None, None)
    if entry is None or path is None or time.time() - entry["at"] > UPLOAD_TTL_SECONDS or not path.exists():
        raise Http404
    return entry, path


def _stored_errors(token: str) -> list[RowError] | None:
    _path, report = _paths(token)
    if not report.exists():
        return None
    return [RowError(e["row"], e["column"], e["message"]) for e in json.loads(report.read_text("utf-8"))]


def _store_errors(token: str, errors: list[RowError]) -> None:
    _path, report = _paths(token)
    data = [{"row": e.row, "column": e.column, "message": e.message} for e in errors]
    descriptor = os.open(report, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False)


# --- pages -------------------------------------------------------------------------------------------------


def _landing(request: HttpRequest, upload: UploadForm, *, status: int = 200) -> HttpResponse:
    can_phones = request.user.has_scope_perm(StationsPerm.MANAGE)  # type: ignore[union-attr]
    return render(
        request,
        "stations/desk/transfer.html",
        {
            "upload": upload,
            "export_form": ExportForm(request.GET or None, can_include_phones=can_phones),
            "max_rows": importing.MAX_ROWS,
            "max_mb": importing.MAX_FILE_BYTES // (1024 * 1024),
            "ttl_minutes": UPLOAD_TTL_SECONDS // 60,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def transfer(request: HttpRequest) -> HttpResponse:
    """GET: upload form, export form, template link. POST: check the upload, keep it, go to the preview."""
    require_any_scope(request.user, StationsPerm.MANAGE)
    if request.method != "POST":
        return _landing(request, UploadForm())
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _landing(request, form, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > importing.MAX_FILE_BYTES:
        form.add_error(
            "file",
            _(
                "The file is {size} MB; at most {limit} MB can be imported. Split it into several files."
            ).format(
                size=round(upload.size / 1024 / 1024, 1), limit=importing.MAX_FILE_BYTES // (1024 * 1024)
            ),
        )
        return _landing(request, form, status=400)
    purge_expired(upload_folder())
    token, path = _save_upload(upload)
    try:
        importing.read_sheet(path)
    except StationFileError as exc:
        path.unlink(missing_ok=True)
        form.add_error("file", exc.message)
        return _landing(request, form, status=400)
    _remember(
        request,
        token,
        {
            "name": importing.safe_file_name(upload.name),
            "sha256": importing.file_digest(path),
            "at": time.time(),
            "imported": False,
        },
    )
    return redirect("stations:transfer_preview", token=token)


def _error_rows(errors: list[RowError]) -> list[RowError]:
    return errors[:SHOWN_ERRORS]


def _preview(
    request: HttpRequest,
    token: str,
    entry: dict[str, Any],
    checked: importing.Checked,
    form: ConfirmForm,
    *,
    status: int = 200,
    refused: bool = False,
) -> HttpResponse:
    errors = checked.errors
    return render(
        request,
        "stations/desk/transfer_preview.html",
        {
            "token": token,
            "entry": entry,
            "checked": checked,
            "counts": checked.counts,
            "errors": _error_rows(errors),
            "error_count": len(errors),
            "invalid_rows": len({e.row for e in errors}),
            "more_errors": max(len(errors) - SHOWN_ERRORS, 0),
            "plans": checked.plans[:PREVIEW_ROWS],
            "more_rows": max(len(checked.plans) - PREVIEW_ROWS, 0),
            "form": form,
            "refused": refused,
        },
        status=status,
    )


def _read_or_redirect(request: HttpRequest, token: str, path: Path) -> importing.Sheet | HttpResponse:
    try:
        return importing.read_sheet(path)
    except StationFileError as exc:  # checked at upload; only a changed limit gets here
        _remove(token)
        messages.error(request, exc.message)
        return redirect("stations:transfer")


@require_GET
@login_required
def transfer_preview(request: HttpRequest, token: str) -> HttpResponse:
    require_any_scope(request.user, StationsPerm.MANAGE)
    entry, path = _entry_or_404(request, token)
    if entry["imported"]:
        messages.info(
            request, _("This file has been imported already; upload it again to import it once more.")
        )
        return redirect("stations:transfer")
    sheet = _read_or_redirect(request, token, path)
    if isinstance(sheet, HttpResponse):
        return sheet
    checked = importing.check_rows(sheet, user=request.user)
    return _preview(request, token, entry, checked, ConfirmForm())


@require_POST
@login_required
def transfer_import(request: HttpRequest, token: str) -> HttpResponse:
    """Check the kept file again (the database may have changed) and import it."""
    require_any_scope(request.user, StationsPerm.MANAGE)
    entry, path = _entry_or_404(request, token)
    if entry["imported"]:
        messages.info(
            request, _("This file has been imported already; upload it again to import it once more.")
        )
        return redirect("stations:transfer")
    form = ConfirmForm(request.POST)
    form.is_valid()  # two optional checkboxes: always valid
    options = {k: bool(form.cleaned_data.get(k)) for k in ("only_valid", "skip_existing")}
    try:
        outcome = importing.import_stations(
            path, actor=request.user, file_name=entry["name"], sha256=entry["sha256"], **options
        )
    except StationFileError as exc:
        _remove(token)
        messages.error(request, exc.message)
        return redirect("stations:transfer")
    if not outcome.imported:
        return _preview(request, token, entry, outcome.checked, form, status=400, refused=True)
    errors = outcome.errors
    entry["imported"] = True
    _remember(request, token, entry)
    if errors:
        _store_errors(token, errors)  # kept for the report until the upload expires
    else:
        _remove(token)
    return render(
        request,
        "stations/desk/transfer_result.html",
        {
            "token": token,
            "entry": entry,
            "outcome": outcome,
            "errors": _error_rows(errors),
            "error_count": len(errors),
            "more_errors": max(len(errors) - SHOWN_ERRORS, 0),
        },
    )


@require_GET
@login_required
def transfer_errors(request: HttpRequest, token: str) -> HttpResponseBase:
    """The uploaded rows with an added 错误 column (.xlsx)."""
    require_any_scope(request.user, StationsPerm.MANAGE)
    _entry, path = _entry_or_404(request, token)
    sheet = _read_or_redirect(request, token, path)
    if isinstance(sheet, HttpResponse):
        return sheet
    errors = _stored_errors(token)
    if errors is None:
        errors = importing.check_rows(sheet, user=request.user).errors
    return exporting.error_report_response(sheet=sheet, errors=errors)


@require_GET
@login_required
def transfer_template(request: HttpRequest) -> HttpResponseBase:
    require_any_scope(request.user, StationsPerm.MANAGE)
    return exporting.template_response(user=request.user)


@require_GET
@login_required
def transfer_export(request: HttpRequest) -> HttpResponseBase:
    """The stations the user sees, narrowed by the desk list's filters; full phones on request (managers)."""
    require_any_scope(request.user, StationsPerm.VIEW)
    station_filter = exporting.StationFilter.from_query(request.GET, user=request.user)
    include_phones = request.GET.get("phones", "") in {"1", "on", "true"}
    return exporting.export_response(
        actor=request.user, station_filter=station_filter, include_phones=include_phones
    )
