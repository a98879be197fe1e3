using System.Net;

namespace Herald.Server;

/// <summary>A listener a running node has bound: its protocol name (<c>http</c>, <c>kafka</c>, ...) and address.</summary>
/// <param name="Protocol">Lower-case protocol name, as in the <c>herald: http listening on ...</c> line.</param>
/// <param name="EndPoint">The bound address and port; the real port when the option was 0.</param>
public sealed record HeraldListenerEndpoint(string Protocol, IPEndPoint EndPoint);
