package server

import (
	"crypto/subtle"
	"crypto/x509"
	"net"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/dolthub/vitess/go/mysql"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
)

// authServer checks logins with mysql_native_password against the one
// configured user. With no user configured every login is accepted (the
// server is then meant for a private socket or loopback port).
type authServer struct {
	user, password string // immutable
	methods        []mysql.AuthMethod
}

func newAuthServer(user, password string) *authServer {
	a := &authServer{user: user, password: password}
	a.methods = []mysql.AuthMethod{loginMarker{mysql.NewMysqlNativeAuthMethod(a, a)}}
	return a
}

// loginMarker is an auth method that, once the login it checks succeeds,
// marks the connection as logged in (serverConn.loggedIn): the commands
// the server answers under vitess that need a logged-in user
// (COM_SHUTDOWN) look at the mark, since vitess tells its Handler nothing
// between the handshake and the first command it routes.
type loginMarker struct{ mysql.AuthMethod }

// HandleAuthPluginData implements mysql.AuthMethod.
func (m loginMarker) HandleAuthPluginData(c *mysql.Conn, user string, serverData, clientData []byte, remoteAddr net.Addr) (mysql.Getter, error) {
	g, err := m.AuthMethod.HandleAuthPluginData(c, user, serverData, clientData, remoteAddr)
	if err == nil {
		if sc, ok := c.Conn.(*serverConn); ok {
			sc.loggedIn.Store(true)
		}
	}
	return g, err
}

// AuthMethods implements mysql.AuthServer.
func (a *authServer) AuthMethods() []mysql.AuthMethod { return a.methods }

// DefaultAuthMethodDescription implements mysql.AuthServer.
func (a *authServer) DefaultAuthMethodDescription() mysql.AuthMethodDescription {
	return mysql.MysqlNativePassword
}

// HandleUser implements mysql.UserValidator: every user name is handled
// here (a wrong one is refused in UserEntryWithHash, with MySQL's 1045).
func (a *authServer) HandleUser(user string, remoteAddr net.Addr) bool { return true }

// UserEntryWithHash implements mysql.HashStorage: authResponse is the
// client's scramble of the password with salt.
func (a *authServer) UserEntryWithHash(_ []*x509.Certificate, salt []byte, user string, authResponse []byte, remoteAddr net.Addr) (mysql.Getter, error) {
	if a.user == "" {
		return userGetter(user), nil
	}
	ok := user == a.user
	if ok {
		var want []byte
		if a.password != "" {
			want = mysql.ScrambleMysqlNativePassword(salt, []byte(a.password))
		}
		ok = subtle.ConstantTimeCompare(want, authResponse) == 1
	}
	if !ok {
		using := "NO"
		if len(authResponse) > 0 {
			using = "YES"
		}
		return nil, toSQLError(sqlerr.New(sqlerr.ErrAccessDenied, "Access denied for user '%s'@'%s' (using password: %s)", user, hostOf(remoteAddr), using))
	}
	return userGetter(user), nil
}

// userGetter carries the authenticated user name.
type userGetter string

// Get implements mysql.Getter.
func (u userGetter) Get() *querypb.VTGateCallerID {
	return &querypb.VTGateCallerID{Username: string(u)}
}

// hostOf returns the client's host as MySQL names it in messages and in
// SHOW PROCESSLIST: the IP address, or "localhost" for a Unix socket.
func hostOf(addr net.Addr) string {
	if addr == nil || addr.Network() == "unix" {
		return "localhost"
	}
	if h, _, err := net.SplitHostPort(addr.String()); err == nil {
		return h
	}
	return addr.String()
}
