using System.Globalization;
using System.Text;

namespace FaceWatch.Cluster;

/// <summary>
/// Every key of the cluster's KV buckets, built in one place. NATS keys allow only <c>[-/_=.a-zA-Z0-9]</c> and '.'
/// separates tokens, so names are encoded: letters, digits, '-' and '_' stay, every other UTF-8 byte becomes
/// <c>=XX</c> (reversible, and distinct names never share a key).
/// </summary>
public static class ClusterKeys
{
    /// <summary>Leases: one key per camera, <c>camera.&lt;site&gt;.&lt;camera&gt;</c>.</summary>
    public const string LeaseBucket = "facewatch-leases";

    /// <summary>Node registry: one key per node, <c>node.&lt;site&gt;.&lt;node&gt;</c>.</summary>
    public const string NodeBucket = "facewatch-nodes";

    public static string Lease(string site, string camera) => "camera." + Encode(site) + "." + Encode(camera);

    public static string LeasePrefix(string site) => "camera." + Encode(site) + ".";

    public static string Node(string site, string node) => "node." + Encode(site) + "." + Encode(node);

    public static string NodePrefix(string site) => "node." + Encode(site) + ".";

    public static string Encode(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var text = new StringBuilder(name.Length);
        foreach (var b in Encoding.UTF8.GetBytes(name))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            {
                text.Append(c);
            }
            else
            {
                text.Append('=').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }

    public static string Decode(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        var bytes = new List<byte>(token.Length);
        for (var i = 0; i < token.Length; i++)
        {
            if (token[i] == '=' && i + 2 < token.Length && byte.TryParse(token.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 2;
            }
            else
            {
                bytes.Add((byte)token[i]);
            }
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }
}
