using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace FaceWatch.Web;

/// <summary>
/// The rule every write endpoint (name, ignore, forget, reject) follows, on top of <see cref="WebTokenMiddleware"/>
/// (which already asks for <c>Web:Token</c> on every path when one is set, and the options refuse a non-loopback bind
/// without one): no cross-site request (a page elsewhere in the user's browser must not post to a loopback daemon),
/// and a small body.
/// </summary>
internal static class WebWrites
{
    /// <summary>Largest body a write accepts.</summary>
    public const int MaxBodyBytes = 16 * 1024;

    /// <summary>Applies the write rule to <paramref name="endpoint"/>.</summary>
    public static TBuilder AsWrite<TBuilder>(this TBuilder endpoint)
        where TBuilder : IEndpointConventionBuilder =>
        endpoint.AddEndpointFilter(static async (context, next) =>
        {
            var http = context.HttpContext;
            if (Refusal(http.Request) is { } reason)
            {
                return Results.Problem(reason, statusCode: StatusCodes.Status403Forbidden);
            }

            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = MaxBodyBytes;
            }

            if (http.Request.ContentLength > MaxBodyBytes)
            {
                return Results.Problem($"A write's body is at most {MaxBodyBytes} bytes.", statusCode: StatusCodes.Status413PayloadTooLarge);
            }

            return await next(context).ConfigureAwait(false);
        });

    /// <summary>Why a write request is refused, or null. A browser sends <c>Origin</c> on every cross-site POST and DELETE.</summary>
    internal static string? Refusal(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && (!Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            || !string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)))
        {
            return "Cross-site write refused: the request's Origin is not this FaceWatch.";
        }

        if (string.Equals(request.Headers["Sec-Fetch-Site"].ToString(), "cross-site", StringComparison.OrdinalIgnoreCase))
        {
            return "Cross-site write refused.";
        }

        return null;
    }
}
