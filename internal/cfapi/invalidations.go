package cfapi

func (s *Server) registerInvalidations() {}
