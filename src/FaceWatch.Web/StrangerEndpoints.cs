using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using FaceWatch.Hosting.Strangers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace FaceWatch.Web;

/// <summary>The review surface's view of the daemon: its <see cref="StrangerActions"/>, or null in a host without the pipeline.</summary>
internal sealed record StrangerReview(StrangerActions? Actions);

/// <summary>
/// The review of remembered strangers (docs/strangers.md): the page <c>/strangers</c>, the groups and their crops
/// (<c>GET /api/strangers</c>, <c>/api/strangers/{id}</c>, <c>/api/strangers/{id}/crops/{n}.jpg</c>) and the actions
/// (<c>POST .../name</c> with <c>{"name": "..."}</c>, <c>POST .../ignore</c>, <c>DELETE /api/strangers/{id}</c>). Every
/// write follows <see cref="WebWrites"/> and answers JSON: <c>{"ok": true, ...}</c> or a problem whose detail names the group.
/// </summary>
internal static partial class StrangerEndpoints
{
    private static readonly HtmlTemplate Page = HtmlTemplate.Load("FaceWatch.Web.Page.strangers.html");

    public static IEndpointRouteBuilder MapStrangers(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/strangers", () =>
        {
            var html = new StringBuilder(8192);
            Page.Render(html, text: null);
            return Results.Content(html.ToString(), "text/html; charset=utf-8");
        });
        endpoints.MapGet("/api/strangers", (StrangerReview review) =>
            Results.Json(new StrangerListDto(review.Actions?.Enabled ?? false, [.. (review.Actions?.Groups() ?? []).Select(Dto)], review.Actions?.Problem), StrangerReviewJsonContext.Default.StrangerListDto));
        endpoints.MapGet("/api/strangers/{id}", (string id, StrangerReview review) =>
            review.Actions?.Find(id) is { } group ? Results.Json(Dto(group), StrangerReviewJsonContext.Default.StrangerGroupDto) : NotFound(id));
        endpoints.MapGet("/api/strangers/{id}/crops/{index:int}.jpg", (string id, int index, StrangerReview review, HttpContext http) =>
        {
            if (review.Actions?.ReadCrop(id, index) is not { } jpeg)
            {
                return Results.Problem($"No crop {index.ToString(CultureInfo.InvariantCulture)} in stranger group '{Printable(id)}'.", statusCode: StatusCodes.Status404NotFound);
            }

            // A face of someone who never agreed to be kept: no cache may hold it after it is forgotten.
            http.Response.Headers.CacheControl = "no-store";
            return Results.Bytes(jpeg, "image/jpeg");
        });
        endpoints.MapPost("/api/strangers/{id}/name", NameAsync).AsWrite();
        endpoints.MapPost("/api/strangers/{id}/ignore", (string id, StrangerReview review, ILogger<WebLiveViewServer> logger, CancellationToken ct) =>
            ActAsync(review, id, logger, "ignore", (a, c) => a.IgnoreAsync(id, c), ct)).AsWrite();
        endpoints.MapDelete("/api/strangers/{id}", (string id, StrangerReview review, ILogger<WebLiveViewServer> logger, CancellationToken ct) =>
            ActAsync(review, id, logger, "forget", (a, c) => a.ForgetAsync(id, c), ct)).AsWrite();
        return endpoints;
    }

    private static async Task<IResult> NameAsync(string id, HttpRequest request, StrangerReview review, ILogger<WebLiveViewServer> logger, CancellationToken ct)
    {
        // JSON only: a cross-site HTML form cannot send it without the browser asking first.
        if (!request.HasJsonContentType())
        {
            return Results.Problem("Send the name as JSON: {\"name\": \"alice\"} with Content-Type: application/json.", statusCode: StatusCodes.Status415UnsupportedMediaType);
        }

        NameRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync(request.Body, StrangerReviewJsonContext.Default.NameRequest, ct).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            return Results.Problem($"The body is not JSON like {{\"name\": \"alice\"}}: {e.Message}", statusCode: StatusCodes.Status400BadRequest);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Results.Problem($"A write's body is at most {WebWrites.MaxBodyBytes} bytes.", statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        if (body?.Name is not { } name)
        {
            return Results.Problem("The body needs a name: {\"name\": \"alice\"}.", statusCode: StatusCodes.Status400BadRequest);
        }

        return await ActAsync(review, id, logger, "name", (a, c) => a.NameAsync(id, name, c), ct).ConfigureAwait(false);
    }

    private static async Task<IResult> ActAsync(
        StrangerReview review, string id, ILogger logger, string action, Func<StrangerActions, CancellationToken, Task<StrangerActionResult>> act, CancellationToken ct)
    {
        if (review.Actions is not { } actions)
        {
            return Results.Problem("Strangers:Enabled is off: no strangers are remembered, so there is nothing to review.", statusCode: StatusCodes.Status409Conflict);
        }

        try
        {
            var done = await act(actions, ct).ConfigureAwait(false);
            switch (action)
            {
                case "name":
                    Log.StrangerNamed(logger, done.Group, done.Person!, done.Faces, done.NewPerson);
                    break;
                case "ignore":
                    Log.StrangerIgnored(logger, done.Group, done.Faces);
                    break;
                default:
                    Log.StrangerForgotten(logger, done.Group);
                    break;
            }

            return Results.Json(new StrangerActionDto(true, action, done.Group, done.Person, done.Faces, done.NewPerson), StrangerReviewJsonContext.Default.StrangerActionDto);
        }
        catch (StrangerActionException e)
        {
            Log.StrangerActionRefused(logger, action, Printable(id), e.Error, e.Message);
            return Results.Problem(e.Message, statusCode: e.Error switch
            {
                StrangerActionError.UnknownGroup => StatusCodes.Status404NotFound,
                StrangerActionError.BadId or StrangerActionError.BadName => StatusCodes.Status400BadRequest,
                StrangerActionError.Refused => StatusCodes.Status422UnprocessableEntity,
                StrangerActionError.StoreFailed => StatusCodes.Status500InternalServerError,
                _ => StatusCodes.Status409Conflict,
            });
        }
    }

    private static IResult NotFound(string id) =>
        Results.Problem($"No stranger group '{Printable(id)}' (forgotten, named, expired, or never seen).", statusCode: StatusCodes.Status404NotFound);

    private static string Printable(string id) => FaceWatch.Core.Health.LogText.Printable(id, StrangerActions.MaxIdLength);

    private static StrangerGroupDto Dto(StrangerGroup g)
    {
        var escaped = Uri.EscapeDataString(g.Id);
        return new StrangerGroupDto(g.Id, g.FirstSeen, g.LastSeen, g.Visits, g.Cameras,
            [.. g.Crops.Select(c => new StrangerCropDto(c.Index, c.Camera, c.SeenAt, c.Quality, $"/api/strangers/{escaped}/crops/{c.Index.ToString(CultureInfo.InvariantCulture)}.jpg"))]);
    }

    private static partial class Log
    {
        // 7150-7159: the stranger review (web live view range, docs/logging.md).
        [LoggerMessage(7150, LogLevel.Information, "Stranger group {Group} named {Person} ({Faces} faces enrolled, new person: {NewPerson})")]
        public static partial void StrangerNamed(ILogger logger, string group, string person, int faces, bool newPerson);

        [LoggerMessage(7151, LogLevel.Information, "Stranger group {Group} ignored ({Faces} faces kept as negatives)")]
        public static partial void StrangerIgnored(ILogger logger, string group, int faces);

        [LoggerMessage(7152, LogLevel.Information, "Stranger group {Group} forgotten")]
        public static partial void StrangerForgotten(ILogger logger, string group);

        [LoggerMessage(7153, LogLevel.Information, "Stranger {Action} of group {Group} refused ({Error}): {Reason}")]
        public static partial void StrangerActionRefused(ILogger logger, string action, string group, StrangerActionError error, string reason);
    }
}

/// <summary>Body of <c>POST /api/strangers/{id}/name</c>.</summary>
internal sealed record NameRequest(string? Name);

/// <summary><c>GET /api/strangers</c>; <see cref="Problem"/> (only when there is one) says why an enabled store keeps nothing.</summary>
internal sealed record StrangerListDto(bool Enabled, IReadOnlyList<StrangerGroupDto> Groups, string? Problem = null);

internal sealed record StrangerGroupDto(
    string Id, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, int Visits, IReadOnlyList<string> Cameras, IReadOnlyList<StrangerCropDto> Crops);

internal sealed record StrangerCropDto(int Index, string Camera, DateTimeOffset SeenAt, double Quality, string Url);

/// <summary>What a write answers when it worked.</summary>
internal sealed record StrangerActionDto(bool Ok, string Action, string Group, string? Person, int Faces, bool NewPerson);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StrangerListDto))]
[JsonSerializable(typeof(StrangerGroupDto))]
[JsonSerializable(typeof(StrangerActionDto))]
[JsonSerializable(typeof(NameRequest))]
internal sealed partial class StrangerReviewJsonContext : JsonSerializerContext;
